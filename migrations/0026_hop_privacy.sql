-- Each hop of the drop-ship chain is private (issue 15, DESIGN.md §2). A line of a distribution
-- (or purchase) order is seen by its buyer and its seller, so its link_id must stay the link
-- between those two: the link it came through. Routing it further up used to overwrite it with the
-- seller's own link to its supplier, which the buyer is no party of (SHOP-A then saw TRADER-B's
-- link to SUPPLIER-C). The link a seller routed a line onward through is on the line one level up
-- (its parent_line_id names this line), which only that seller and its supplier see.
--
-- 1. Repair lines overwritten so far. A routed line's parent (the line one level down) holds the
--    link the line came through; a line without a parent (a purchase order passed on) gets back
--    the link between its buyer's product and its seller's product (the newest such link). The
--    migration runs as the tables' owner, which row-level security confines too while it is
--    forced: it is lifted for this statement only.
ALTER TABLE orders.order_lines NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.product_links NO FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
UPDATE orders.order_lines l
SET link_id = parent.link_id
FROM orders.order_lines parent
WHERE parent.id = l.parent_line_id
  AND l.buyer_partner_id IS NOT NULL
  AND parent.link_id IS NOT NULL
  AND l.link_id IS DISTINCT FROM parent.link_id;
--> statement-breakpoint
UPDATE orders.order_lines l
SET link_id = own.id
FROM (
  SELECT DISTINCT ON (pl.downstream_product_id, pl.upstream_product_id)
         pl.id, pl.downstream_product_id, pl.upstream_product_id, pl.downstream_partner_id, pl.upstream_partner_id
  FROM catalog.product_links pl
  ORDER BY pl.downstream_product_id, pl.upstream_product_id, pl.created_at DESC, pl.id
) own
WHERE l.buyer_partner_id IS NOT NULL
  AND l.parent_line_id IS NULL
  AND l.link_id IS NOT NULL
  AND own.downstream_product_id = l.buyer_product_id
  AND own.upstream_product_id = l.product_id
  AND own.downstream_partner_id = l.buyer_partner_id
  AND own.upstream_partner_id = l.seller_partner_id
  AND NOT EXISTS (
    SELECT FROM catalog.product_links cur
    WHERE cur.id = l.link_id AND cur.downstream_partner_id = l.buyer_partner_id AND cur.upstream_partner_id = l.seller_partner_id
  );
--> statement-breakpoint
ALTER TABLE orders.order_lines FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.product_links FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- 2. From now on the database keeps it so: once a line between two partners has its link, an
--    update leaves it (decideLines, for one, clears the link of lines it fulfils from own stock;
--    on a sales line that is right, on a distribution line the link it came through stays).
CREATE FUNCTION orders.keep_line_link() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog
  AS $$
  BEGIN
    IF OLD.buyer_partner_id IS NOT NULL AND OLD.link_id IS NOT NULL THEN
      NEW.link_id := OLD.link_id;
    END IF;
    RETURN NEW;
  END
  $$;
--> statement-breakpoint
COMMENT ON FUNCTION orders.keep_line_link() IS
  'A line of a DISTRIBUTION or PURCHASE order keeps the link it came through (the link between its buyer and its seller); see migration 0026.';
--> statement-breakpoint
CREATE TRIGGER order_lines_keep_link BEFORE UPDATE OF link_id ON orders.order_lines
  FOR EACH ROW EXECUTE FUNCTION orders.keep_line_link();
--> statement-breakpoint
-- 3. Adjusting a routed line in place (adjustOrder) needs to know whether the upstream has begun
--    picking it — across hops the caller cannot see. redthread_definer reads the order lines, the
--    orders and inventory's shipments for that (migration 0025 grants the same; repeated here so this
--    function does not depend on it).
GRANT USAGE ON SCHEMA orders, inventory, app TO redthread_definer;
--> statement-breakpoint
GRANT CREATE ON SCHEMA orders TO redthread_definer;
--> statement-breakpoint
GRANT SELECT ON orders.orders, orders.order_lines, inventory.shipments TO redthread_definer;
--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['orders.orders', 'orders.order_lines', 'inventory.shipments'] LOOP
    IF NOT EXISTS (
      SELECT FROM pg_policies p
      WHERE p.schemaname || '.' || p.tablename = t AND 'redthread_definer' = ANY (p.roles) AND p.cmd IN ('SELECT', 'ALL')
    ) THEN
      EXECUTE format('CREATE POLICY %I ON %s FOR SELECT TO redthread_definer USING (true)', split_part(t, '.', 2) || '_definer_read', t);
    END IF;
  END LOOP;
END
$$;
--> statement-breakpoint
-- Whether the upstream has begun fulfilling a line the caller is party to, so that its quantity
-- can no longer be changed in place: a live line routed from it (at any depth) has shipped units,
-- or belongs to an order that has shipped something, or is fulfilled from stock by an order with a
-- shipment that was inspected (READY), dispatched, or failed an inspection (being picked). Answers
-- only that boolean; false for a line the caller is no party of.
CREATE FUNCTION orders.line_picked_upstream(line_id uuid) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, orders, inventory
  AS $$
    WITH RECURSIVE up(id, order_id, fulfilment, shipped, depth) AS (
      SELECT l.id, l.order_id, l.fulfilment, l.shipped_quantity, 1
      FROM orders.order_lines mine
      JOIN orders.order_lines l ON l.parent_line_id = mine.id
      WHERE mine.id = line_picked_upstream.line_id
        AND app.current_partner_id() IN (mine.seller_partner_id, mine.buyer_partner_id)
        AND l.status <> 'CANCELLED'
      UNION ALL
      SELECT l.id, l.order_id, l.fulfilment, l.shipped_quantity, up.depth + 1
      FROM orders.order_lines l JOIN up ON l.parent_line_id = up.id
      WHERE l.status <> 'CANCELLED' AND up.depth < 32
    )
    SELECT EXISTS (SELECT FROM up WHERE up.shipped > 0)
        OR EXISTS (
          SELECT FROM up JOIN orders.orders o ON o.id = up.order_id
          WHERE o.status IN ('PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'COMPLETED'))
        OR EXISTS (
          SELECT FROM up JOIN inventory.shipments s ON s.order_id = up.order_id
          WHERE up.fulfilment = 'OWN'
            AND (s.status IN ('READY', 'DISPATCHED') OR (s.status = 'TO_PICK' AND s.last_mismatch IS NOT NULL)))
  $$;
--> statement-breakpoint
ALTER FUNCTION orders.line_picked_upstream(uuid) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION orders.line_picked_upstream(uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION orders.line_picked_upstream(uuid) TO redthread_app, redthread_worker;
