-- The event log's read horizon (hand-written; issue 14): the transaction id below which every
-- transaction that could still write an event to this database's log has ended. Readers used
-- pg_snapshot_xmin(pg_current_snapshot()), the oldest transaction running anywhere on the server,
-- so a write transaction left open in another database (a migration, a long import, a session
-- idle in transaction) held every consumer and live hub of this one back for as long as it ran.
-- A transaction of another database cannot write this log: it is left out, known by its backend
-- (pg_stat_activity's datid and backend_xid, which every role may read). A running transaction
-- whose backend is not seen as another database's still holds the horizon, as before: the
-- horizon can come too early, never too late, so no reader skips an event. Readers call it as a
-- scalar subquery, `(SELECT events.log_horizon())`, computed once per statement (as a plain call
-- in a filter it would run for every row read).
CREATE FUNCTION events.log_horizon() RETURNS xid8
  LANGUAGE sql STABLE
  SET search_path = pg_catalog
  AS $$
    SELECT coalesce(
      (SELECT min(x) FROM pg_snapshot_xip(s.snapshot) AS x
        WHERE xid(x) NOT IN (
          SELECT a.backend_xid FROM pg_stat_get_activity(NULL) AS a
          WHERE a.backend_xid IS NOT NULL
            AND a.datid <> (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))),
      pg_snapshot_xmax(s.snapshot))
    FROM (SELECT pg_current_snapshot() AS snapshot) AS s
  $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION events.live_events_after(after_txid xid8, after_id bigint, topics text[], audience_partner uuid, max_rows int)
  RETURNS TABLE (id bigint, txid xid8, topic text, entity_type text, entity_id text, audience uuid[], payload jsonb, created_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, events
  AS $$
    SELECT e.id, e.txid, e.topic, e.entity_type, e.entity_id, e.audience, e.payload, e.created_at
    FROM events.event_log e
    WHERE (e.txid, e.id) > (after_txid, after_id)
      AND e.txid < (SELECT events.log_horizon())
      AND (audience_partner IS NULL OR audience_partner = ANY (e.audience))
      AND (coalesce(cardinality(topics), 0) = 0 OR EXISTS (
        SELECT FROM unnest(topics) AS t(pattern)
        WHERE CASE WHEN right(t.pattern, 1) = '*' THEN starts_with(e.topic, left(t.pattern, -1)) ELSE e.topic = t.pattern END))
    ORDER BY e.txid, e.id
    LIMIT least(greatest(coalesce(max_rows, 0), 0), 10000)
  $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION events.live_log_position() RETURNS TABLE (txid xid8, id bigint)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, events
  AS $$
    SELECT e.txid, e.id FROM events.event_log e
    WHERE e.txid < (SELECT events.log_horizon())
    ORDER BY e.txid DESC, e.id DESC LIMIT 1
  $$;
