/**
 * @redthread/kit — the small shared runtime of Redthread's gateway and subgraphs: env parsing,
 * structured logging, the closed error-code list, signed identity, one transaction per request,
 * the event log, connections and their keyset pagination, permission wiring and the subgraph HTTP runtime.
 */
export * from './env';
export * from './paths';
export * from './token-cache';
export * from './logger';
export * from './errors';
export * from './identity';
export * from './access';
export * from './db';
export * from './document-cache';
export * from './socket-batching';
export * from './events';
export * from './event-catalogue';
export * from './batches';
export * from './connection';
export * from './pagination';
export * from './context';
export * from './permissions';
export * from './http';
export * from './subgraph';
export * from './scalars';
export * from './input-text';
export * from './metrics';
export * from './tracing';
export * from './loaders';
export * from './ids';
export * from './live';
export * from './wakeups';
export * from './teardown';
export * from './subscriptions';
export * from './subscription-fields';
export * from './lifecycle';
export type * from './resolver-types';
