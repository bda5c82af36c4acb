/**
 * The order storm of bench/scale, in a process of its own (the load never runs on a platform's
 * event loop, nor on the orchestrator's). Configuration: JSON in SCALE_STORM ({ graphqlUrl,
 * db: { adminUrl, appUrl }, round, orderCount, concurrency, productCount, stockPerProduct }).
 *
 * Prepares the round's own channel, warehouse and products with stock, prints `{"ready":true}`,
 * waits for a line on stdin, then runs bench/order-storm's `stormThroughGateway` and prints its
 * result as one JSON line. Progress goes to stderr.
 */
import { createInterface } from 'node:readline';
import { connectDatabase, type Identity } from '@redthread/kit';
import { demoPartnerId } from '../../scripts/demo/world';
import { prepareStormRound, stormThroughGateway } from '../order-storm/index';

interface StormConfig {
  graphqlUrl: string;
  db: { adminUrl: string; appUrl: string };
  round: string;
  orderCount: number;
  concurrency: number;
  productCount: number;
  stockPerProduct: number;
}

const config = JSON.parse(process.env['SCALE_STORM'] ?? '{}') as StormConfig;
const log = (message: string) => process.stderr.write(`[scale storm ${config.round}] ${message}\n`);
const shopA: Identity = { subject: 'bench', partnerId: demoPartnerId('SHOP-A'), roles: ['admin'] };
const app = connectDatabase(config.db.appUrl, { max: 1 });
const setup = await prepareStormRound(app, shopA, config.round, config.productCount, config.stockPerProduct);
await app.close();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
const result = await stormThroughGateway(config.graphqlUrl, config.db, { ...config, setup, log });
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
