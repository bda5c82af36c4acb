-- What a customer owes counts only entries in its credit file's currency.
CREATE OR REPLACE VIEW finance.customer_credit_status WITH (security_invoker = true) AS
  SELECT f.customer_id, f.owner_partner_id, f.limit_minor, f.currency,
         coalesce((SELECT sum(e.signed_minor) FROM finance.customer_entries e
                   WHERE e.customer_id = f.customer_id AND e.currency = f.currency), 0)::bigint AS outstanding_minor
  FROM finance.credit_files f;
--> statement-breakpoint
-- A 3PL operator receives lot-tracked stock into the owner's warehouses it runs: it may record
-- the owner's batches (the lot belongs to the owner).
CREATE POLICY batches_operator_insert ON inventory.batches FOR INSERT TO redthread_app
  WITH CHECK (EXISTS (SELECT 1 FROM inventory.warehouses w
                      WHERE w.owner_partner_id = batches.owner_partner_id AND w.operator_partner_id = app.current_partner_id()));
