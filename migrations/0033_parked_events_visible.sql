-- Parked events for partner admins (hand-written; issue 17). The consumers' tables stay the
-- worker's alone; a partner's admin reads, through this definer function, the parked events whose
-- event is addressed to the partner the request acts for (its audience), and nothing of others'.
-- The error's stack is not answered: it describes the code, not the partner's data.
GRANT SELECT ON events.parked_events TO redthread_definer;
--> statement-breakpoint
CREATE POLICY parked_events_definer_read ON events.parked_events FOR SELECT TO redthread_definer
  USING (true);
--> statement-breakpoint
CREATE FUNCTION events.parked_events_of_partner()
  RETURNS TABLE (consumer text, event_id bigint, topic text, entity_type text, entity_id text, attempts int,
                 error_message text, error_code text, parked_at timestamptz, behind bigint, waiting int)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, events, app
  AS $$
    SELECT p.consumer, p.event_id, e.topic, p.entity_type, p.entity_id, p.attempts,
           p.error_message, p.error_code, p.parked_at, p.behind,
           (SELECT count(*)::int FROM events.parked_events w WHERE w.consumer = p.consumer AND w.behind = p.event_id)
    FROM events.parked_events p
    JOIN events.event_log e ON e.id = p.event_id
    WHERE app.current_partner_id() IS NOT NULL AND app.current_partner_id() = ANY (e.audience)
  $$;
--> statement-breakpoint
ALTER FUNCTION events.parked_events_of_partner() OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION events.parked_events_of_partner() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION events.parked_events_of_partner() TO redthread_app;
