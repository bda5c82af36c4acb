import { ErrorCode, apiError } from './errors';
import { decodeEventCursor, type EventPosition, type LoggedEvent } from './events';
import type { SubscriptionContext } from './subscriptions';

/**
 * Builds a subscription field over the event log: events matching `topics` whose audience
 * includes the subscriber, further filtered by `accept(args)`, resumed after `args.after`.
 * Each event becomes the field's value (`resolve` returns it as is).
 */
export function eventSubscription<Args extends { after?: string | null }>(
  topics: readonly string[],
  accept?: (args: Args) => ((event: LoggedEvent) => boolean) | undefined,
) {
  return {
    subscribe: (_: unknown, args: Args, ctx: SubscriptionContext) =>
      ctx.live.subscribe({
        partnerId: ctx.identity.partnerId,
        topics,
        after: resumePosition(args.after),
        signal: ctx.signal,
        ...(accept?.(args) ? { accept: accept(args)! } : {}),
      }),
    resolve: (event: LoggedEvent) => event,
  };
}

function resumePosition(after: string | null | undefined): EventPosition | undefined {
  if (!after) return undefined;
  const position = decodeEventCursor(after);
  if (!position) {
    throw apiError(ErrorCode.BAD_USER_INPUT, 'The "after" cursor is not one this API issued; subscribe without it to start from now.', {
      argument: 'after',
    });
  }
  return position;
}

/** The common fields of every change type: cursor, topic, time. */
export const changeEnvelope = {
  cursor: (event: LoggedEvent) => event.cursor,
  topic: (event: LoggedEvent) => event.topic,
  at: (event: LoggedEvent) => event.createdAt,
};
