-- API keys: a partner's admins manage their own keys (row-level security); the gateway turns a key
-- into the partner identity through one definer function that reveals nothing else.
ALTER TABLE catalog.api_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.api_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY api_keys_partner ON catalog.api_keys FOR ALL TO redthread_app
  USING (partner_id = app.current_partner_id()) WITH CHECK (partner_id = app.current_partner_id());
--> statement-breakpoint
REVOKE DELETE ON catalog.api_keys FROM redthread_app;
--> statement-breakpoint
GRANT SELECT, UPDATE ON catalog.api_keys TO redthread_definer;
--> statement-breakpoint
CREATE POLICY api_keys_definer ON catalog.api_keys FOR ALL TO redthread_definer USING (true) WITH CHECK (true);
--> statement-breakpoint
-- The identity behind a presented key (by its SHA-256 hash), stamping its last use; no row for an
-- unknown or revoked key.
CREATE FUNCTION catalog.authenticate_api_key(presented_hash text)
  RETURNS TABLE (key_id uuid, partner_id uuid, roles text[])
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, catalog
  AS $$
    UPDATE catalog.api_keys k SET last_used_at = now()
    WHERE k.key_hash = presented_hash AND k.revoked_at IS NULL
    RETURNING k.id, k.partner_id, k.roles
  $$;
--> statement-breakpoint
ALTER FUNCTION catalog.authenticate_api_key(text) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION catalog.authenticate_api_key(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION catalog.authenticate_api_key(text) TO redthread_app;
