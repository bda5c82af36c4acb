-- Access: users, memberships, invitations, sessions (hand-written; DESIGN.md §2).
-- redthread_auth: what the gateway's sign-in endpoints and membership lookups connect as. It
--                 reads users, memberships and sessions of everyone (there is no tenant before
--                 sign-in), and is a member of redthread_app so that redeeming an invitation can
--                 create the new partner's first product and the attached link proposal under
--                 the ordinary tenant policies. Its password is set by `npm run migrate`.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'redthread_auth') THEN
    CREATE ROLE redthread_auth LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
  END IF;
END
$$;
--> statement-breakpoint
GRANT redthread_app TO redthread_auth;
--> statement-breakpoint
-- Tenants (redthread_app) read the users of their own memberships, change roles, remove members
-- and manage their invitations. Sessions, refresh tokens and sign-in attempts are the auth
-- role's alone.
REVOKE INSERT, UPDATE, DELETE ON catalog.users FROM redthread_app;
--> statement-breakpoint
-- Of a member, a tenant sees the name and email, never the password hash or external subject.
REVOKE SELECT ON catalog.users FROM redthread_app;
--> statement-breakpoint
GRANT SELECT (id, email, display_name, created_at) ON catalog.users TO redthread_app;
--> statement-breakpoint
REVOKE INSERT ON catalog.memberships FROM redthread_app;
--> statement-breakpoint
-- A tenant changes a membership's roles, never whose membership it is.
REVOKE UPDATE ON catalog.memberships FROM redthread_app;
--> statement-breakpoint
GRANT UPDATE (roles, updated_at) ON catalog.memberships TO redthread_app;
--> statement-breakpoint
REVOKE DELETE ON catalog.invitations FROM redthread_app;
--> statement-breakpoint
REVOKE ALL ON catalog.sessions, catalog.refresh_tokens, catalog.sign_in_attempts FROM redthread_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON catalog.users, catalog.sessions, catalog.refresh_tokens, catalog.sign_in_attempts TO redthread_auth;
--> statement-breakpoint
-- Pruning: old sign-in attempts, and sessions long ended, with their refresh tokens.
GRANT DELETE ON catalog.sessions, catalog.refresh_tokens, catalog.sign_in_attempts TO redthread_auth;
--> statement-breakpoint
GRANT INSERT ON catalog.memberships TO redthread_auth;
--> statement-breakpoint
ALTER TABLE catalog.users ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.users FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY users_of_my_partner ON catalog.users FOR SELECT TO redthread_app
  USING (EXISTS (SELECT 1 FROM catalog.memberships m WHERE m.user_id = users.id AND m.partner_id = app.current_partner_id()));
--> statement-breakpoint
CREATE POLICY users_auth ON catalog.users FOR ALL TO redthread_auth USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE catalog.memberships ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.memberships FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY memberships_partner ON catalog.memberships FOR ALL TO redthread_app
  USING (partner_id = app.current_partner_id()) WITH CHECK (partner_id = app.current_partner_id());
--> statement-breakpoint
CREATE POLICY memberships_auth ON catalog.memberships FOR ALL TO redthread_auth USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE catalog.invitations ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.invitations FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Only redemption (the auth role) marks an invitation redeemed: a tenant cannot claim that some
-- partner joined through it (which would make that partner visible, below).
CREATE POLICY invitations_issuer ON catalog.invitations FOR ALL TO redthread_app
  USING (issuer_partner_id = app.current_partner_id())
  WITH CHECK (issuer_partner_id = app.current_partner_id()
              AND redeemed_at IS NULL AND redeemed_partner_id IS NULL AND redeemed_by_user_id IS NULL);
--> statement-breakpoint
CREATE POLICY invitations_auth ON catalog.invitations FOR ALL TO redthread_auth USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE catalog.sessions ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.sessions FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY sessions_auth ON catalog.sessions FOR ALL TO redthread_auth USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE catalog.refresh_tokens ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.refresh_tokens FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY refresh_tokens_auth ON catalog.refresh_tokens FOR ALL TO redthread_auth USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE catalog.sign_in_attempts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.sign_in_attempts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY sign_in_attempts_auth ON catalog.sign_in_attempts FOR ALL TO redthread_auth USING (true) WITH CHECK (true);
--> statement-breakpoint
-- A partner that registered through an invitation is visible to the invitation's issuer (id,
-- code, name), like a linked partner, whether or not a link proposal was attached.
CREATE POLICY partners_invited_read ON catalog.partners FOR SELECT TO redthread_app
  USING (EXISTS (SELECT 1 FROM catalog.invitations i
                 WHERE i.redeemed_partner_id = partners.id AND i.issuer_partner_id = app.current_partner_id()));
--> statement-breakpoint
-- Registering a partner (invitation redemption, `npm run partner:create`) and listing a user's
-- partners at sign-in.
CREATE POLICY partners_auth_read ON catalog.partners FOR SELECT TO redthread_auth USING (true);
--> statement-breakpoint
CREATE POLICY partners_auth_register ON catalog.partners FOR INSERT TO redthread_auth WITH CHECK (true);
--> statement-breakpoint
-- The gateway caches resolved memberships for a few seconds; any new, changed or removed membership, a
-- session or a user's external subject tells it (at commit) to forget that user's entries.
CREATE FUNCTION catalog.notify_access_changed() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE
    changed jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  BEGIN
    -- The payload names whose access changed: an API key as apikey:<id>; a user by id
    -- (memberships and sessions name it in user_id; users rows are the user).
    PERFORM pg_notify('redthread_access', CASE WHEN TG_TABLE_NAME = 'api_keys' THEN 'apikey:' || (changed ->> 'id')
                                              ELSE coalesce(changed ->> 'user_id', changed ->> 'id') END);
    RETURN NULL;
  END
  $$;
--> statement-breakpoint
CREATE TRIGGER memberships_access_changed AFTER INSERT OR UPDATE OR DELETE ON catalog.memberships
  FOR EACH ROW EXECUTE FUNCTION catalog.notify_access_changed();
--> statement-breakpoint
CREATE TRIGGER sessions_access_changed AFTER UPDATE ON catalog.sessions
  FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at) EXECUTE FUNCTION catalog.notify_access_changed();
--> statement-breakpoint
CREATE TRIGGER api_keys_access_changed AFTER UPDATE ON catalog.api_keys
  FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at) EXECUTE FUNCTION catalog.notify_access_changed();
--> statement-breakpoint
CREATE TRIGGER users_access_changed AFTER UPDATE ON catalog.users
  FOR EACH ROW WHEN (OLD.external_subject IS DISTINCT FROM NEW.external_subject) EXECUTE FUNCTION catalog.notify_access_changed();
