-- Wake event readers when events commit. NOTIFY is delivered at commit and only wakes readers;
-- they re-query the log, so the payload carries nothing. A statement-level trigger keeps
-- appendEvent a plain INSERT (no RETURNING, which would need the writer to be in the audience).
CREATE OR REPLACE FUNCTION events.notify_appended() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('redthread_events', '');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER event_log_notify AFTER INSERT ON events.event_log
  FOR EACH STATEMENT EXECUTE FUNCTION events.notify_appended();
