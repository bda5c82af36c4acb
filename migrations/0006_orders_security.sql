-- Orders: grants and row-level security (DESIGN.md §2). SALES orders are seen by their seller only
-- (no buyer partner); DISTRIBUTION and PURCHASE orders by their buyer and their seller. Lines,
-- timeline entries and returns carry the order's two parties for the same rule.
GRANT USAGE ON SCHEMA orders TO redthread_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA orders TO redthread_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA orders GRANT SELECT, INSERT, UPDATE ON TABLES TO redthread_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA orders GRANT USAGE ON SEQUENCES TO redthread_app;
--> statement-breakpoint
REVOKE UPDATE ON orders.order_timeline FROM redthread_app;
--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['channels', 'customers'] LOOP
    EXECUTE format('ALTER TABLE orders.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE orders.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON orders.%I FOR ALL TO redthread_app
      USING (partner_id = app.current_partner_id()) WITH CHECK (partner_id = app.current_partner_id())', t || '_owner', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['orders', 'order_lines', 'order_timeline', 'order_returns'] LOOP
    EXECUTE format('ALTER TABLE orders.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE orders.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON orders.%I FOR ALL TO redthread_app
      USING (app.current_partner_id() IN (seller_partner_id, buyer_partner_id))
      WITH CHECK (app.current_partner_id() IN (seller_partner_id, buyer_partner_id))', t || '_parties', t);
  END LOOP;
END
$$;
--> statement-breakpoint

-- Published by catalog for the other subgraphs: the products the caller may see (its own, and
-- those of its link partners), with what orders and inventory need to validate a line.
-- security_invoker: catalog's row-level security decides. A contract: add columns, never rename.
CREATE VIEW catalog.product_directory WITH (security_invoker = true) AS
  SELECT id AS product_id, owner_partner_id, sku_code, barcode, name, unit, status
  FROM catalog.products;
--> statement-breakpoint
COMMENT ON VIEW catalog.product_directory IS
  'Contract: products visible to the caller (own and linked) with id, owner, SKU code, barcode, name, unit, status. Owned by catalog; read-only for other subgraphs.';
--> statement-breakpoint
GRANT SELECT ON catalog.product_directory TO redthread_app;
