-- A link stays readable by both its parties in every state (REJECTED included), so the products
-- and partners it names must stay visible to them too; otherwise a rejected link would show
-- null products and partners.
DROP POLICY products_linked_read ON catalog.products;
--> statement-breakpoint
CREATE POLICY products_linked_read ON catalog.products FOR SELECT TO redthread_app
  USING (EXISTS (SELECT 1 FROM catalog.product_links l
                 WHERE l.downstream_product_id = products.id OR l.upstream_product_id = products.id));
--> statement-breakpoint
DROP POLICY partners_linked_read ON catalog.partners;
--> statement-breakpoint
CREATE POLICY partners_linked_read ON catalog.partners FOR SELECT TO redthread_app
  USING (EXISTS (SELECT 1 FROM catalog.product_links l
                 WHERE l.downstream_partner_id = partners.id OR l.upstream_partner_id = partners.id));
