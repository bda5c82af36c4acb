-- A DRAFT purchase order is its buyer's alone until submitted: the seller (the supplier) neither
-- sees it nor its lines and timeline. Everything else stays visible to both parties.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['orders', 'order_lines', 'order_timeline'] LOOP
    EXECUTE format('DROP POLICY %I ON orders.%I', t || '_parties', t);
  END LOOP;
END
$$;
--> statement-breakpoint
CREATE POLICY orders_parties ON orders.orders FOR ALL TO redthread_app
  USING (app.current_partner_id() = buyer_partner_id
         OR (app.current_partner_id() = seller_partner_id AND status <> 'DRAFT'))
  WITH CHECK (app.current_partner_id() IN (seller_partner_id, buyer_partner_id));
--> statement-breakpoint
CREATE POLICY order_lines_parties ON orders.order_lines FOR ALL TO redthread_app
  USING (app.current_partner_id() = buyer_partner_id
         OR (app.current_partner_id() = seller_partner_id
             AND EXISTS (SELECT 1 FROM orders.orders o WHERE o.id = order_id)))
  WITH CHECK (app.current_partner_id() IN (seller_partner_id, buyer_partner_id));
--> statement-breakpoint
CREATE POLICY order_timeline_parties ON orders.order_timeline FOR ALL TO redthread_app
  USING (app.current_partner_id() = buyer_partner_id
         OR (app.current_partner_id() = seller_partner_id
             AND EXISTS (SELECT 1 FROM orders.orders o WHERE o.id = order_id)))
  WITH CHECK (app.current_partner_id() IN (seller_partner_id, buyer_partner_id));
