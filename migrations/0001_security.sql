-- Roles, grants and row-level security (hand-written; DESIGN.md §2).
-- redthread_app:    what the gateway-facing services connect as. Owns no table, no BYPASSRLS.
-- redthread_worker: event consumers. Member of redthread_app (same tenant policies), and may
--                   read the whole event log and keep consumer cursors.
-- Passwords are set by `npm run migrate` from APP_DB_PASSWORD, never stored here.
CREATE SCHEMA IF NOT EXISTS app;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION app.current_partner_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.partner_id', true), '')::uuid $$;
--> statement-breakpoint
COMMENT ON FUNCTION app.current_partner_id() IS
  'The partner the current request acts for (set per transaction by the services); NULL outside a request.';
--> statement-breakpoint
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'redthread_app') THEN
    CREATE ROLE redthread_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'redthread_worker') THEN
    CREATE ROLE redthread_worker LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
  END IF;
END
$$;
--> statement-breakpoint
GRANT redthread_app TO redthread_worker;
--> statement-breakpoint
GRANT USAGE ON SCHEMA app, catalog, events TO redthread_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA catalog TO redthread_app;
--> statement-breakpoint
GRANT USAGE ON ALL SEQUENCES IN SCHEMA catalog TO redthread_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA catalog GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO redthread_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA catalog GRANT USAGE ON SEQUENCES TO redthread_app;
--> statement-breakpoint
-- The event log is append-only for everyone: no UPDATE or DELETE grant exists.
GRANT SELECT, INSERT ON events.event_log TO redthread_app;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE events.event_log_id_seq TO redthread_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON events.consumer_cursors TO redthread_worker;
--> statement-breakpoint
ALTER TABLE catalog.partners ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.partners FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY partners_read_self ON catalog.partners FOR SELECT TO redthread_app
  USING (id = app.current_partner_id());
--> statement-breakpoint
CREATE POLICY partners_update_self ON catalog.partners FOR UPDATE TO redthread_app
  USING (id = app.current_partner_id()) WITH CHECK (id = app.current_partner_id());
--> statement-breakpoint
ALTER TABLE catalog.products ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.products FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY products_owner ON catalog.products FOR ALL TO redthread_app
  USING (owner_partner_id = app.current_partner_id())
  WITH CHECK (owner_partner_id = app.current_partner_id());
--> statement-breakpoint
ALTER TABLE events.event_log ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE events.event_log FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY event_log_append ON events.event_log FOR INSERT TO redthread_app
  WITH CHECK (app.current_partner_id() IS NOT NULL OR pg_has_role('redthread_worker', 'MEMBER'));
--> statement-breakpoint
CREATE POLICY event_log_read_audience ON events.event_log FOR SELECT TO redthread_app
  USING (app.current_partner_id() = ANY (audience));
--> statement-breakpoint
CREATE POLICY event_log_read_all ON events.event_log FOR SELECT TO redthread_worker
  USING (true);
--> statement-breakpoint
ALTER TABLE events.consumer_cursors ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE events.consumer_cursors FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY consumer_cursors_worker ON events.consumer_cursors FOR ALL TO redthread_worker
  USING (true) WITH CHECK (true);
