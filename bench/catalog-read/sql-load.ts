/**
 * The baseline of bench/catalog-read in a process of its own: the catalog's service SQL for one
 * page of products and their owners, in a tenant transaction as the subgraph runs it, with no
 * GraphQL and no HTTP. Configuration: JSON in CATALOG_SQL_LOAD ({ appUrl, identity, pages[]
 * ({ first, after }), concurrency, warmup, requests, seconds }); request i reads pages[i % length].
 * Speaks bench/load-protocol.ts.
 */
import { connectDatabase, inTenantTransaction, type Identity } from '@redthread/kit';
import { listOwnProducts } from '@redthread/catalog/services/products';
import { visiblePartnersByIds } from '@redthread/catalog/services/partners';
import { serveLoad, type LoadShape } from '../load-protocol';

interface SqlLoadConfig extends LoadShape {
  appUrl: string;
  identity: Identity;
  pages: { first: number; after: string | null }[];
}

const config = JSON.parse(process.env['CATALOG_SQL_LOAD'] ?? '{}') as SqlLoadConfig;
const database = connectDatabase(config.appUrl, { max: config.concurrency });
const { identity } = config;

await serveLoad(config, async (index) => {
  const page = config.pages[index % config.pages.length]!;
  const rows = await inTenantTransaction(database.db, identity, async (tx) => {
    const connection = await listOwnProducts(tx, identity, null, page);
    const owners = await visiblePartnersByIds(tx, [...new Set(connection.edges.map((e) => e.node.ownerPartnerId))]);
    return owners.length ? connection.edges.length : 0;
  });
  return rows === page.first ? undefined : `a page of ${rows} products with owners, expected ${page.first}`;
});
await database.close();
process.exit(0);
