-- Issue 15, "no silent caps": every list that grows is a keyset-paged connection
-- (subgraphs/kit/src/pagination.ts). Indexes for the new sort orders, so each page is an index
-- walk from the cursor instead of a sort of everything the caller can see. Descending orders use
-- the same b-tree backwards.

-- The shipment queue, newest first: of one warehouse (the warehouse screen), or all of an owner's.
CREATE INDEX IF NOT EXISTS "shipments_warehouse_created_idx" ON "inventory"."shipments" USING btree ("warehouse_id", "created_at", "id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "shipments_owner_created_idx" ON "inventory"."shipments" USING btree ("owner_partner_id", "created_at", "id");--> statement-breakpoint
-- Transfers and stock counts, newest first.
CREATE INDEX IF NOT EXISTS "transfers_owner_created_idx" ON "inventory"."transfers" USING btree ("owner_partner_id", "created_at", "id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "stock_counts_warehouse_created_idx" ON "inventory"."stock_counts" USING btree ("warehouse_id", "created_at", "id");--> statement-breakpoint
-- Stock levels by warehouse, product, location.
CREATE INDEX IF NOT EXISTS "stock_warehouse_product_location_idx" ON "inventory"."stock" USING btree ("warehouse_id", "product_id", "location_id", "id");--> statement-breakpoint
-- Ledger entries newest first from either side of the pair.
CREATE INDEX IF NOT EXISTS "ledger_entries_creditor_occurred_idx" ON "finance"."ledger_entries" USING btree ("creditor_partner_id", "occurred_at", "id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "ledger_entries_debtor_occurred_idx" ON "finance"."ledger_entries" USING btree ("debtor_partner_id", "occurred_at", "id");--> statement-breakpoint
-- Statements newest period first, from either side.
CREATE INDEX IF NOT EXISTS "statements_creditor_period_idx" ON "finance"."statements" USING btree ("creditor_partner_id", "period_start", "id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "statements_debtor_period_idx" ON "finance"."statements" USING btree ("debtor_partner_id", "period_start", "id");
