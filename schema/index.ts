/**
 * Redthread's drizzle tables. One PostgreSQL schema per subgraph (`catalog`, later `orders`,
 * `inventory`, `finance`) plus `events` for the shared event log. A subgraph writes only its own
 * schema; migrations are generated from these files by drizzle-kit.
 */
export * from './types';
export * from './events/log';
export * from './events/parked';
export * from './catalog/partners';
export * from './catalog/products';
export * from './catalog/links';
export * from './catalog/access';
export * from './orders/channels';
export * from './orders/orders';
export * from './orders/returns';
export * from './inventory/warehouses';
export * from './inventory/stock';
export * from './inventory/operations';
export * from './finance/tables';
