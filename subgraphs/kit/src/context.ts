import type { Db, RequestTransaction, Tx } from './db';
import type { Identity } from './identity';
import type { Logger } from './logger';

/**
 * What every resolver of a subgraph receives. Built once per request by the subgraph runtime:
 * the verified identity, the request's single transaction and the request's DataLoaders.
 */
export interface RequestContext<Loaders = unknown> {
  readonly identity: Identity;
  /** The gateway's request id, echoed in every log line of this request. */
  readonly requestId: string;
  readonly log: Logger;
  /** The request's transaction, opened with the tenant set on first call (one per request). */
  readonly tx: () => Promise<Tx>;
  /** Commit or roll back; called by the runtime when the response is ready. */
  readonly transaction: RequestTransaction;
  readonly loaders: Loaders;
  /** The pool, for the runtime only; services must use {@link RequestContext.tx}. */
  readonly db: Db;
}

/** The context without loaders: what a subgraph's loader factory receives. */
export type LoaderScope = Omit<RequestContext<never>, 'loaders'>;

/**
 * The resolver of a root field that hands its `input` argument to one service, in the request's
 * transaction and as the caller: `createWarehouse: withInput(createWarehouse)`. Typed by the
 * service, so the generated resolver type checks the input against the SDL's and the service's
 * answer against the field's result type.
 */
export function withInput<Input, Answer>(service: (tx: Tx, identity: Identity, input: Input) => Promise<Answer>) {
  return async (_parent: unknown, args: { input: Input }, ctx: Pick<RequestContext, 'tx' | 'identity'>): Promise<Answer> =>
    service(await ctx.tx(), ctx.identity, args.input);
}
