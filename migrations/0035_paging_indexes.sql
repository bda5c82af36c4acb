-- Indexes the lists page by. productLinks (a partner's links, either side, newest first) read
-- and sorted all of the partner's links for every page; it is now a keyset page per side, each
-- walking its partner page index. Product.links of a product (either end, newest first) was
-- found through the caller's partner indexes and filtered by product: every link of the partner
-- was read for each product of a page. Customer.payments read all of the customer's entries (charges
-- too) and sorted them; the partial page index gives its payments in page order.
DROP INDEX IF EXISTS "catalog"."product_links_upstream_product_idx";--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "product_links_downstream_partner_page" ON "catalog"."product_links" USING btree ("downstream_partner_id","created_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "product_links_upstream_partner_page" ON "catalog"."product_links" USING btree ("upstream_partner_id","created_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "product_links_downstream_product_page" ON "catalog"."product_links" USING btree ("downstream_product_id","created_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "product_links_upstream_product_page" ON "catalog"."product_links" USING btree ("upstream_product_id","created_at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "customer_entries_payments_page" ON "finance"."customer_entries" USING btree ("customer_id","at","id") WHERE kind = 'PAYMENT';
