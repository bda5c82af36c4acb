-- Finance: grants and row-level security (DESIGN.md §2), plus the published views finance and
-- orders read from each other.
GRANT USAGE ON SCHEMA finance TO redthread_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA finance TO redthread_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA finance GRANT SELECT, INSERT, UPDATE ON TABLES TO redthread_app;
--> statement-breakpoint
-- Ledger and cost entries are immutable: corrections are new entries. Only the statement a ledger
-- entry lands on is set later.
REVOKE UPDATE ON finance.ledger_entries, finance.cost_entries, finance.customer_entries FROM redthread_app;
--> statement-breakpoint
GRANT UPDATE (statement_id) ON finance.ledger_entries TO redthread_app;
--> statement-breakpoint
GRANT DELETE ON finance.commission_rules TO redthread_app;
--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['product_costs', 'cost_entries', 'credit_files', 'customer_entries'] LOOP
    EXECUTE format('ALTER TABLE finance.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE finance.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON finance.%I FOR ALL TO redthread_app
      USING (owner_partner_id = app.current_partner_id()) WITH CHECK (owner_partner_id = app.current_partner_id())', t || '_owner', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['ledger_entries', 'statements', 'statement_lines'] LOOP
    EXECUTE format('ALTER TABLE finance.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE finance.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON finance.%I FOR ALL TO redthread_app
      USING (app.current_partner_id() IN (creditor_partner_id, debtor_partner_id))
      WITH CHECK (app.current_partner_id() IN (creditor_partner_id, debtor_partner_id))', t || '_parties', t);
  END LOOP;
END
$$;
--> statement-breakpoint
ALTER TABLE finance.settlement_rules ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE finance.settlement_rules FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY settlement_rules_parties_read ON finance.settlement_rules FOR SELECT TO redthread_app
  USING (app.current_partner_id() IN (creditor_partner_id, debtor_partner_id));
--> statement-breakpoint
CREATE POLICY settlement_rules_creditor_write ON finance.settlement_rules FOR INSERT TO redthread_app
  WITH CHECK (creditor_partner_id = app.current_partner_id());
--> statement-breakpoint
CREATE POLICY settlement_rules_creditor_update ON finance.settlement_rules FOR UPDATE TO redthread_app
  USING (creditor_partner_id = app.current_partner_id()) WITH CHECK (creditor_partner_id = app.current_partner_id());
--> statement-breakpoint
ALTER TABLE finance.commission_rules ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE finance.commission_rules FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY commission_rules_payer ON finance.commission_rules FOR ALL TO redthread_app
  USING (payer_partner_id = app.current_partner_id()) WITH CHECK (payer_partner_id = app.current_partner_id());
--> statement-breakpoint
CREATE POLICY commission_rules_earner_read ON finance.commission_rules FOR SELECT TO redthread_app
  USING (earner_partner_id = app.current_partner_id());
--> statement-breakpoint

-- Published by orders for finance: order lines with their parties, prices and shipped units.
CREATE VIEW orders.order_line_facts WITH (security_invoker = true) AS
  SELECT l.id AS line_id, l.order_id, o.kind, o.status, o.seller_partner_id, o.buyer_partner_id,
         o.customer_id, o.channel_id, o.external_number, l.product_id, l.buyer_product_id, l.link_id,
         l.quantity, l.shipped_quantity, l.unit_price_minor, o.currency, o.placed_at
  FROM orders.order_lines l JOIN orders.orders o ON o.id = l.order_id;
--> statement-breakpoint
COMMENT ON VIEW orders.order_line_facts IS
  'Contract: order lines visible to the caller with order kind, status, parties, customer, channel, product, quantities, unit price and currency. Owned by orders.';
--> statement-breakpoint
GRANT SELECT ON orders.order_line_facts TO redthread_app;
--> statement-breakpoint

-- Published by finance for orders: a customer's credit limit and what it owes now.
CREATE VIEW finance.customer_credit_status WITH (security_invoker = true) AS
  SELECT f.customer_id, f.owner_partner_id, f.limit_minor, f.currency,
         coalesce((SELECT sum(e.signed_minor) FROM finance.customer_entries e WHERE e.customer_id = f.customer_id), 0)::bigint AS outstanding_minor
  FROM finance.credit_files f;
--> statement-breakpoint
COMMENT ON VIEW finance.customer_credit_status IS
  'Contract: credit limit and outstanding balance (unpaid shipped value) per customer, for the owning partner. Owned by finance.';
--> statement-breakpoint
GRANT SELECT ON finance.customer_credit_status TO redthread_app;
--> statement-breakpoint

-- Published by orders for finance: the caller's customers (id only, for credit files).
CREATE VIEW orders.customer_directory WITH (security_invoker = true) AS
  SELECT id AS customer_id, partner_id FROM orders.customers;
--> statement-breakpoint
COMMENT ON VIEW orders.customer_directory IS 'Contract: the caller''s customers by id. Owned by orders.';
--> statement-breakpoint
GRANT SELECT ON orders.customer_directory TO redthread_app;
