import { bigserial, bigint, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
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

/**
 * The durable position of each named consumer in the event log, from before consumers were
 * partitioned. Read once, when a consumer's partitions are first created (they start here).
 */
export const consumerCursors = eventsSchema.table('consumer_cursors', {
  consumer: text('consumer').primaryKey(),
  txid: xid8('txid').notNull().default(sql`'0'::xid8`),
  eventId: bigint('event_id', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The durable position of each partition of a named consumer. An event belongs to partition
 * `abs(hashtext(entity_id)) % partitions`, so one aggregate's events stay in order in one
 * partition. A batch locks its partition's row, so a partition is consumed by one transaction at
 * a time, whichever instance holds its lease.
 */
export const consumerPartitions = eventsSchema.table(
  'consumer_partitions',
  {
    consumer: text('consumer').notNull(),
    partition: integer('partition').notNull(),
    txid: xid8('txid').notNull().default(sql`'0'::xid8`),
    eventId: bigint('event_id', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.partition] })],
);

/**
 * Which consumer instance works a partition, until when. Apart from the cursors, so that taking
 * or renewing a lease never waits for a batch in progress. No owner: free.
 */
export const consumerLeases = eventsSchema.table(
  'consumer_leases',
  {
    consumer: text('consumer').notNull(),
    partition: integer('partition').notNull(),
    owner: text('owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.partition] })],
);

/** The live instances of each consumer (their heartbeat): each takes its fair share of partitions. */
export const consumerMembers = eventsSchema.table(
  'consumer_members',
  {
    consumer: text('consumer').notNull(),
    member: text('member').notNull(),
    seenUntil: timestamp('seen_until', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.member] })],
);
