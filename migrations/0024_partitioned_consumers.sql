CREATE TABLE "events"."consumer_leases" (
	"consumer" text NOT NULL,
	"partition" integer NOT NULL,
	"owner" text,
	"lease_until" timestamp with time zone,
	CONSTRAINT "consumer_leases_consumer_partition_pk" PRIMARY KEY("consumer","partition")
);
--> statement-breakpoint
CREATE TABLE "events"."consumer_members" (
	"consumer" text NOT NULL,
	"member" text NOT NULL,
	"seen_until" timestamp with time zone NOT NULL,
	CONSTRAINT "consumer_members_consumer_member_pk" PRIMARY KEY("consumer","member")
);
--> statement-breakpoint
CREATE TABLE "events"."consumer_partitions" (
	"consumer" text NOT NULL,
	"partition" integer NOT NULL,
	"txid" "xid8" DEFAULT '0'::xid8 NOT NULL,
	"event_id" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consumer_partitions_consumer_partition_pk" PRIMARY KEY("consumer","partition")
);
--> statement-breakpoint
-- Partitioned consumers (hand-written): the worker keeps each partition's cursor, the leases that
-- spread partitions over its instances, and their heartbeats. Nobody else sees these tables.
GRANT SELECT, INSERT, UPDATE, DELETE ON events.consumer_partitions, events.consumer_leases, events.consumer_members TO redthread_worker;
--> statement-breakpoint
ALTER TABLE events.consumer_partitions ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE events.consumer_partitions FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY consumer_partitions_worker ON events.consumer_partitions FOR ALL TO redthread_worker
  USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE events.consumer_leases ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE events.consumer_leases FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY consumer_leases_worker ON events.consumer_leases FOR ALL TO redthread_worker
  USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE events.consumer_members ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE events.consumer_members FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY consumer_members_worker ON events.consumer_members FOR ALL TO redthread_worker
  USING (true) WITH CHECK (true);
--> statement-breakpoint

-- The live hub of a subgraph reads the whole log once per wake-up and fans events out to its
-- subscribers by audience in memory. Subgraphs connect as redthread_app, which row-level security
-- limits to the current tenant's events, so the hub reads through these two definer functions.
-- They return events in log order and nothing else (no cursor or table of any consumer).
GRANT USAGE, CREATE ON SCHEMA events TO redthread_definer;
--> statement-breakpoint
GRANT SELECT ON events.event_log TO redthread_definer;
--> statement-breakpoint
CREATE POLICY event_log_definer ON events.event_log FOR SELECT TO redthread_definer USING (true);
--> statement-breakpoint
-- The events after (after_txid, after_id), gap-free: only transactions below the snapshot's xmin
-- (every transaction that could still add an earlier event has ended), in (txid, id) order. Topic
-- patterns with a trailing `*` match a prefix (none or NULL: all topics); audience_partner NULL:
-- every audience. At most max_rows (capped at 10000).
CREATE FUNCTION events.live_events_after(after_txid xid8, after_id bigint, topics text[], audience_partner uuid, max_rows int)
  RETURNS TABLE (id bigint, txid xid8, topic text, entity_type text, entity_id text, audience uuid[], payload jsonb, created_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, events
  AS $$
    SELECT e.id, e.txid, e.topic, e.entity_type, e.entity_id, e.audience, e.payload, e.created_at
    FROM events.event_log e
    WHERE (e.txid, e.id) > (after_txid, after_id)
      AND e.txid < pg_snapshot_xmin(pg_current_snapshot())
      AND (audience_partner IS NULL OR audience_partner = ANY (e.audience))
      AND (coalesce(cardinality(topics), 0) = 0 OR EXISTS (
        SELECT FROM unnest(topics) AS t(pattern)
        WHERE CASE WHEN right(t.pattern, 1) = '*' THEN starts_with(e.topic, left(t.pattern, -1)) ELSE e.topic = t.pattern END))
    ORDER BY e.txid, e.id
    LIMIT least(greatest(coalesce(max_rows, 0), 0), 10000)
  $$;
--> statement-breakpoint
ALTER FUNCTION events.live_events_after(xid8, bigint, text[], uuid, int) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION events.live_events_after(xid8, bigint, text[], uuid, int) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION events.live_events_after(xid8, bigint, text[], uuid, int) TO redthread_app, redthread_worker;
--> statement-breakpoint
-- The position of the newest event every reader can already see (below the snapshot's xmin): where
-- a live reader starts so that it misses nothing that commits later. No row: the log is empty.
CREATE FUNCTION events.live_log_position() RETURNS TABLE (txid xid8, id bigint)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, events
  AS $$
    SELECT e.txid, e.id FROM events.event_log e
    WHERE e.txid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY e.txid DESC, e.id DESC LIMIT 1
  $$;
--> statement-breakpoint
ALTER FUNCTION events.live_log_position() OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION events.live_log_position() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION events.live_log_position() TO redthread_app, redthread_worker;
