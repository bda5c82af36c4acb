-- Warehouse partners (issue 15, DESIGN.md §2): the owner and the operator of a THIRD_PARTY (3PL)
-- warehouse see each other (name and code), and the operator sees the name, SKU code, barcode and
-- unit of the products stored in the warehouses it operates, nothing else of them.

-- Published by inventory for catalog: the THIRD_PARTY warehouses the caller owns or operates, with
-- both parties. security_invoker: inventory's row-level security decides (only the owner and the
-- operator see a warehouse). A contract: add columns, never rename.
CREATE VIEW inventory.warehouse_partners WITH (security_invoker = true) AS
  SELECT w.id AS warehouse_id, w.owner_partner_id, w.operator_partner_id
  FROM inventory.warehouses w
  WHERE w.kind = 'THIRD_PARTY';
--> statement-breakpoint
COMMENT ON VIEW inventory.warehouse_partners IS
  'Contract: THIRD_PARTY warehouses visible to the caller (owned or operated) with their owner and operator. Owned by inventory.';
--> statement-breakpoint
GRANT SELECT ON inventory.warehouse_partners TO redthread_app;
--> statement-breakpoint

-- Published by inventory for catalog: the stock slots (whatever their quantity: a slot exists once
-- anything was received, moved or reserved there) of the warehouses the caller operates as a 3PL.
-- security_invoker, and narrowed to the operator: an owner's own slots are not listed.
CREATE VIEW inventory.operated_stock WITH (security_invoker = true) AS
  SELECT s.warehouse_id, s.product_id, s.owner_partner_id
  FROM inventory.stock s
  JOIN inventory.warehouses w ON w.id = s.warehouse_id
  WHERE w.operator_partner_id = app.current_partner_id();
--> statement-breakpoint
COMMENT ON VIEW inventory.operated_stock IS
  'Contract: stock slots (warehouse, product, owner) of the warehouses the caller operates as a 3PL. Owned by inventory.';
--> statement-breakpoint
GRANT SELECT ON inventory.operated_stock TO redthread_app, redthread_definer;
--> statement-breakpoint

-- A partner is visible to the other party of a THIRD_PARTY warehouse it owns or operates. The
-- subquery runs under inventory's policies, so only the caller's own warehouses count.
CREATE POLICY partners_warehouse_read ON catalog.partners FOR SELECT TO redthread_app
  USING (EXISTS (SELECT 1 FROM inventory.warehouse_partners wp
                 WHERE partners.id = wp.owner_partner_id OR partners.id = wp.operator_partner_id));
--> statement-breakpoint
COMMENT ON VIEW catalog.partner_directory IS
  'Contract: partners visible to the caller (itself, linked partners, the other party of a 3PL warehouse, invited partners) with id, code and name. Owned by catalog.';
--> statement-breakpoint

-- What a 3PL operator sees of the products stored in the warehouses it operates: name, SKU code,
-- barcode and unit, to pick and inspect. It must look past the products' row-level security (the
-- operator is no party of a link), so it runs as the definer role and returns only these columns,
-- only for products with a slot in a warehouse the caller operates.
CREATE FUNCTION catalog.operated_products(product_ids uuid[])
  RETURNS TABLE (product_id uuid, owner_partner_id uuid, sku_code text, barcode text, name text, unit text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, catalog
  AS $$
    SELECT p.id, p.owner_partner_id, p.sku_code, p.barcode, p.name, p.unit
    FROM catalog.products p
    WHERE p.id = ANY (product_ids)
      AND EXISTS (SELECT 1 FROM inventory.operated_stock s
                  WHERE s.product_id = p.id AND s.owner_partner_id = p.owner_partner_id)
  $$;
--> statement-breakpoint
ALTER FUNCTION catalog.operated_products(uuid[]) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION catalog.operated_products(uuid[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION catalog.operated_products(uuid[]) TO redthread_app;
