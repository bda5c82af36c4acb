-- Inventory: grants, row-level security, the movement ledger trigger, and the definer role that
-- owns the few functions that must look across tenants (revealing only what they return).

-- redthread_definer owns SECURITY DEFINER functions. It cannot log in; it reads exactly the tables
-- granted below, through policies of its own, so the functions work whether or not the migrating
-- role is a superuser (FORCE ROW LEVEL SECURITY binds table owners too).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'redthread_definer') THEN
    CREATE ROLE redthread_definer NOLOGIN NOINHERIT;
  END IF;
END
$$;
--> statement-breakpoint
GRANT redthread_definer TO CURRENT_USER;
--> statement-breakpoint
GRANT USAGE ON SCHEMA catalog, inventory, app TO redthread_definer;
--> statement-breakpoint
-- ALTER FUNCTION ... OWNER needs the new owner to be able to create in the schema.
GRANT CREATE ON SCHEMA catalog, inventory TO redthread_definer;
--> statement-breakpoint
GRANT SELECT ON catalog.partners, catalog.products, catalog.product_links TO redthread_definer;
--> statement-breakpoint
CREATE POLICY partners_definer ON catalog.partners FOR SELECT TO redthread_definer USING (true);
--> statement-breakpoint
CREATE POLICY products_definer ON catalog.products FOR SELECT TO redthread_definer USING (true);
--> statement-breakpoint
CREATE POLICY product_links_definer ON catalog.product_links FOR SELECT TO redthread_definer USING (true);
--> statement-breakpoint
ALTER FUNCTION catalog.find_product_for_proposal(text, text) OWNER TO redthread_definer;
--> statement-breakpoint
ALTER FUNCTION catalog.link_would_cycle(uuid, uuid) OWNER TO redthread_definer;
--> statement-breakpoint
ALTER FUNCTION catalog.active_upstream_link(uuid, uuid) OWNER TO redthread_definer;
--> statement-breakpoint

-- A partner's id by its public code (for naming a 3PL operator). Reveals only the id.
CREATE FUNCTION catalog.partner_id_by_code(wanted_code text) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, catalog
  AS $$ SELECT id FROM catalog.partners WHERE code = upper(wanted_code) $$;
--> statement-breakpoint
ALTER FUNCTION catalog.partner_id_by_code(text) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION catalog.partner_id_by_code(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION catalog.partner_id_by_code(text) TO redthread_app;
--> statement-breakpoint

GRANT USAGE ON SCHEMA inventory TO redthread_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA inventory TO redthread_app;
--> statement-breakpoint
GRANT USAGE ON ALL SEQUENCES IN SCHEMA inventory TO redthread_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA inventory GRANT SELECT, INSERT, UPDATE ON TABLES TO redthread_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA inventory GRANT USAGE ON SEQUENCES TO redthread_app;
--> statement-breakpoint
-- The ledger is append-only; on-hand changes only through it (the trigger below).
REVOKE UPDATE ON inventory.movements FROM redthread_app;
--> statement-breakpoint
REVOKE INSERT, UPDATE ON inventory.stock FROM redthread_app;
--> statement-breakpoint
GRANT UPDATE (reserved, updated_at) ON inventory.stock TO redthread_app;
--> statement-breakpoint
-- Reservations are released by deleting them (what happened is in the event log).
GRANT DELETE ON inventory.reservations TO redthread_app;
--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  -- Warehouse-scoped rows: the owner and the warehouse's operator (a 3PL) see and operate them.
  FOREACH t IN ARRAY ARRAY['warehouses', 'locations', 'stock', 'movements', 'reservations', 'shipments', 'stock_counts', 'stock_count_lines'] LOOP
    EXECUTE format('ALTER TABLE inventory.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE inventory.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON inventory.%I FOR ALL TO redthread_app
      USING (app.current_partner_id() IN (owner_partner_id, operator_partner_id))
      WITH CHECK (app.current_partner_id() IN (owner_partner_id, operator_partner_id))', t || '_owner_operator', t);
  END LOOP;
  -- Owner-only rows.
  FOREACH t IN ARRAY ARRAY['allocations', 'transfer_lines'] LOOP
    EXECUTE format('ALTER TABLE inventory.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE inventory.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON inventory.%I FOR ALL TO redthread_app
      USING (owner_partner_id = app.current_partner_id()) WITH CHECK (owner_partner_id = app.current_partner_id())', t || '_owner', t);
  END LOOP;
END
$$;
--> statement-breakpoint
ALTER TABLE inventory.transfers ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE inventory.transfers FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY transfers_parties ON inventory.transfers FOR ALL TO redthread_app
  USING (app.current_partner_id() IN (owner_partner_id, from_operator_partner_id, to_operator_partner_id))
  WITH CHECK (app.current_partner_id() IN (owner_partner_id, from_operator_partner_id, to_operator_partner_id));
--> statement-breakpoint
-- Batches: the owner, and operators of any of the owner's warehouses (they pick by lot).
ALTER TABLE inventory.batches ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE inventory.batches FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY batches_owner ON inventory.batches FOR ALL TO redthread_app
  USING (owner_partner_id = app.current_partner_id()) WITH CHECK (owner_partner_id = app.current_partner_id());
--> statement-breakpoint
CREATE POLICY batches_operator_read ON inventory.batches FOR SELECT TO redthread_app
  USING (EXISTS (SELECT 1 FROM inventory.warehouses w
                 WHERE w.owner_partner_id = batches.owner_partner_id AND w.operator_partner_id = app.current_partner_id()));
--> statement-breakpoint

-- The ledger applies itself: every movement adds its signed quantity to its stock slot, creating
-- the slot on first receipt. CHECK (on_hand >= 0, reserved <= on_hand) refuses any movement that
-- would take stock below zero or below what is reserved, failing the whole transaction.
GRANT SELECT, INSERT, UPDATE ON inventory.stock TO redthread_definer;
--> statement-breakpoint
CREATE POLICY stock_definer ON inventory.stock FOR ALL TO redthread_definer USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE FUNCTION inventory.apply_movement() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, inventory
  AS $$
BEGIN
  IF NEW.quantity > 0 THEN
    INSERT INTO inventory.stock AS s (warehouse_id, location_id, product_id, batch_id, owner_partner_id, operator_partner_id, on_hand)
    VALUES (NEW.warehouse_id, NEW.location_id, NEW.product_id, NEW.batch_id, NEW.owner_partner_id, NEW.operator_partner_id, NEW.quantity)
    ON CONFLICT ON CONSTRAINT stock_slot_unique
    DO UPDATE SET on_hand = s.on_hand + EXCLUDED.on_hand, updated_at = now();
  ELSE
    -- Taking stock: the slot must exist; CHECK constraints refuse going below zero or below reserved.
    UPDATE inventory.stock
    SET on_hand = on_hand + NEW.quantity, updated_at = now()
    WHERE warehouse_id = NEW.warehouse_id AND location_id = NEW.location_id
      AND product_id = NEW.product_id AND batch_id IS NOT DISTINCT FROM NEW.batch_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no stock of this product in this slot to take from'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'stock_on_hand_not_negative';
    END IF;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
ALTER FUNCTION inventory.apply_movement() OWNER TO redthread_definer;
--> statement-breakpoint
CREATE TRIGGER movements_apply AFTER INSERT ON inventory.movements
  FOR EACH ROW EXECUTE FUNCTION inventory.apply_movement();
--> statement-breakpoint

-- Sellable quantity of an upstream product for the calling downstream partner: the upstream
-- owner's available stock (on hand − reserved, all warehouses) minus the link's safety buffer,
-- then the share rule. NULL unless the caller is downstream of an ACTIVE link naming the product,
-- so it never reveals more than the rule allows.
GRANT SELECT ON inventory.stock TO redthread_definer;
--> statement-breakpoint
CREATE FUNCTION inventory.sellable_quantity(upstream_product uuid) RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, inventory, catalog
  AS $$
    SELECT CASE l.share_rule_kind
             WHEN 'NONE' THEN 0
             WHEN 'ALL' THEN free.units
             WHEN 'PERCENT' THEN (free.units * l.share_rule_value) / 100
             WHEN 'FIXED' THEN least(free.units, l.share_rule_value)
           END
    FROM catalog.product_links l
    CROSS JOIN LATERAL (
      SELECT greatest(coalesce(sum(s.on_hand - s.reserved), 0) - l.safety_buffer, 0)::int AS units
      FROM inventory.stock s
      WHERE s.product_id = l.upstream_product_id AND s.owner_partner_id = l.upstream_partner_id
    ) free
    WHERE l.upstream_product_id = upstream_product
      AND l.downstream_partner_id = app.current_partner_id()
      AND l.status = 'ACTIVE'
    LIMIT 1
  $$;
--> statement-breakpoint
ALTER FUNCTION inventory.sellable_quantity(uuid) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION inventory.sellable_quantity(uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION inventory.sellable_quantity(uuid) TO redthread_app;
--> statement-breakpoint

-- The codes of an owner's products, for receipts, pick lists and outbound inspection: to the owner,
-- and to the operators of the owner's warehouses (a 3PL scans codes it cannot otherwise see).
GRANT SELECT ON inventory.warehouses TO redthread_definer;
--> statement-breakpoint
CREATE POLICY warehouses_definer ON inventory.warehouses FOR SELECT TO redthread_definer USING (true);
--> statement-breakpoint
CREATE FUNCTION inventory.owner_products(of_owner uuid, product_ids uuid[])
  RETURNS TABLE (product_id uuid, sku_code text, barcode text, name text, status catalog.product_status)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, inventory, catalog
  AS $$
    SELECT p.id, p.sku_code, p.barcode, p.name, p.status
    FROM catalog.products p
    WHERE p.owner_partner_id = of_owner AND p.id = ANY (product_ids)
      AND (of_owner = app.current_partner_id()
           OR EXISTS (SELECT 1 FROM inventory.warehouses w
                      WHERE w.owner_partner_id = of_owner AND w.operator_partner_id = app.current_partner_id()))
  $$;
--> statement-breakpoint
ALTER FUNCTION inventory.owner_products(uuid, uuid[]) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION inventory.owner_products(uuid, uuid[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION inventory.owner_products(uuid, uuid[]) TO redthread_app;
--> statement-breakpoint

-- Published by orders for inventory: purchase order lines (to check receipts against) and returns
-- (to receive). security_invoker: orders' row-level security decides.
CREATE VIEW orders.purchase_order_lines WITH (security_invoker = true) AS
  SELECT o.id AS order_id, o.status AS order_status, o.buyer_partner_id, o.seller_partner_id, o.warehouse_id,
         l.id AS line_id, l.buyer_product_id, l.quantity
  FROM orders.orders o JOIN orders.order_lines l ON l.order_id = o.id
  WHERE o.kind = 'PURCHASE';
--> statement-breakpoint
COMMENT ON VIEW orders.purchase_order_lines IS
  'Contract: PURCHASE order lines visible to the caller, with the buyer product and ordered quantity. Owned by orders.';
--> statement-breakpoint
GRANT SELECT ON orders.purchase_order_lines TO redthread_app;
