import { bigint, bigserial, check, index, integer, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { eventLog, eventsSchema } from './log';

/**
 * Events a consumer gave up on (migration 0032, hand-written): a head whose handler failed its
 * bounded attempts (with the error of the last one), and the later events of the same aggregate
 * (entity type + id) that wait `behind` it so that the aggregate's order holds. The consumer's
 * cursor has passed all of them; an admin retries or discards a head, which runs the ones behind
 * it in order. Worker-only, like the cursors.
 */
export const parkedEvents = eventsSchema.table(
  'parked_events',
  {
    consumer: text('consumer').notNull(),
    eventId: bigint('event_id', { mode: 'number' })
      .notNull()
      .references(() => eventLog.id),
    partition: integer('partition').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    /** Failed handler attempts; 0 for an event that only waits behind another. */
    attempts: integer('attempts').notNull().default(0),
    /** The last attempt's error; null for an event that waits behind another. */
    errorMessage: text('error_message'),
    /** The PostgreSQL SQLSTATE, or the error's class name (`TypeError`). */
    errorCode: text('error_code'),
    errorStack: text('error_stack'),
    parkedAt: timestamp('parked_at', { withTimezone: true }).notNull().defaultNow(),
    /** The head of the aggregate's queue this event waits behind; null: it is the head. */
    behind: bigint('behind', { mode: 'number' }),
  },
  (t) => [
    primaryKey({ columns: [t.consumer, t.eventId] }),
    check('parked_events_attempts_check', sql`${t.attempts} >= 0`),
    check('parked_events_not_behind_itself_check', sql`${t.behind} is distinct from ${t.eventId}`),
    check('parked_events_head_error_check', sql`(${t.behind} is null) = (${t.errorMessage} is not null)`),
    uniqueIndex('parked_events_head_idx').on(t.consumer, t.entityType, t.entityId).where(sql`behind is null`),
    index('parked_events_partition_idx').on(t.consumer, t.partition, t.entityId),
    index('parked_events_behind_idx').on(t.consumer, t.behind).where(sql`behind is not null`),
  ],
);

/** The audit trail of admin actions on parked events: append-only, one row per retry or discard. */
export const parkedEventActions = eventsSchema.table(
  'parked_event_actions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    consumer: text('consumer').notNull(),
    eventId: bigint('event_id', { mode: 'number' })
      .notNull()
      .references(() => eventLog.id),
    action: text('action', { enum: ['retry', 'discard'] }).notNull(),
    /** Who acted, as given to the command. */
    actor: text('actor').notNull(),
    reason: text('reason').notNull(),
    /** `released`: the queue was handled; `failed_again`: one of its events failed and heads it now. */
    outcome: text('outcome', { enum: ['released', 'failed_again'] }).notNull(),
    /** The events the handler ran successfully in this action, in order. */
    handledEventIds: bigint('handled_event_ids', { mode: 'number' }).array().notNull().default(sql`'{}'`),
    errorMessage: text('error_message'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('parked_event_actions_action_check', sql`${t.action} in ('retry', 'discard')`),
    check('parked_event_actions_outcome_check', sql`${t.outcome} in ('released', 'failed_again')`),
    check('parked_event_actions_actor_check', sql`btrim(${t.actor}) <> ''`),
    check('parked_event_actions_reason_check', sql`btrim(${t.reason}) <> ''`),
    index('parked_event_actions_event_idx').on(t.consumer, t.eventId),
  ],
);
