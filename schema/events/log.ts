import { bigserial, bigint, index, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { xid8 } from '../types';

/** `events.*`: the transactional outbox shared by every subgraph (DESIGN.md §4). */
export const eventsSchema = pgSchema('events');

/**
 * One row per domain event, inserted in the same transaction as the change it describes.
 * `txid` is that transaction's id; readers consume in (txid, id) order and only below their
 * snapshot's xmin, so an event whose transaction commits late is never skipped.
 */
export const eventLog = eventsSchema.table(
  'event_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    txid: xid8('txid').notNull().default(sql`pg_current_xact_id()`),
    topic: text('topic').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    /** The partner ids allowed to see the event. */
    audience: uuid('audience').array().notNull(),
    payload: jsonb('payload').notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('event_log_txid_id_idx').on(t.txid, t.id), index('event_log_audience_idx').using('gin', t.audience)],
);

/** The durable position of each named consumer in the event log. */
export const consumerCursors = eventsSchema.table('consumer_cursors', {
  consumer: text('consumer').primaryKey(),
  txid: xid8('txid').notNull().default(sql`'0'::xid8`),
  eventId: bigint('event_id', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
