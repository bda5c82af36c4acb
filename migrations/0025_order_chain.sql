-- The order chain as one unit of exclusion. A drop-ship chain (a sales order, the distribution
-- orders routed from it, and theirs) spans partners that cannot see each other's orders, and its
-- goods leave from whichever hop holds them. Cancelling (orders) and dispatching (inventory) must
-- exclude each other across hops: both first take a transaction lock on the chain's root order,
-- then check the other side's committed state through the functions below, which answer a boolean
-- and reveal nothing else of the hops the caller cannot see.
--
-- redthread_definer reads the orders and the inventory shipment tables these functions walk.
GRANT USAGE ON SCHEMA orders TO redthread_definer;
--> statement-breakpoint
GRANT CREATE ON SCHEMA orders TO redthread_definer;
--> statement-breakpoint
GRANT SELECT ON orders.orders, orders.order_lines TO redthread_definer;
--> statement-breakpoint
CREATE POLICY orders_definer ON orders.orders FOR SELECT TO redthread_definer USING (true);
--> statement-breakpoint
CREATE POLICY order_lines_definer ON orders.order_lines FOR SELECT TO redthread_definer USING (true);
--> statement-breakpoint
GRANT SELECT ON inventory.shipments, inventory.reservations TO redthread_definer;
--> statement-breakpoint
CREATE POLICY shipments_definer ON inventory.shipments FOR SELECT TO redthread_definer USING (true);
--> statement-breakpoint
CREATE POLICY reservations_definer ON inventory.reservations FOR SELECT TO redthread_definer USING (true);
--> statement-breakpoint
-- Serialises every change to what ships in one chain: a transaction-scoped advisory lock keyed by
-- the chain's root order (the order reached by following parent_order_id). Taken first, before any
-- row lock, by cancelOrder, adjustOrder, confirmShipment and dispatchShipment; released at commit,
-- after the commit is visible, so whoever waits then reads the winner's outcome. An unknown id
-- locks a key of its own (nothing to exclude).
CREATE FUNCTION orders.lock_order_chain(order_id uuid) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, orders
  AS $$
  DECLARE root uuid;
  BEGIN
    WITH RECURSIVE up(id, parent, depth) AS (
      SELECT o.id, o.parent_order_id, 0 FROM orders.orders o WHERE o.id = lock_order_chain.order_id
      UNION ALL
      SELECT o.id, o.parent_order_id, up.depth + 1 FROM orders.orders o JOIN up ON o.id = up.parent WHERE up.depth < 32
    )
    SELECT up.id INTO root FROM up ORDER BY up.depth DESC LIMIT 1;
    PERFORM pg_advisory_xact_lock(hashtextextended('redthread.order_chain:' || coalesce(root, lock_order_chain.order_id)::text, 0));
  END
  $$;
--> statement-breakpoint
ALTER FUNCTION orders.lock_order_chain(uuid) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION orders.lock_order_chain(uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION orders.lock_order_chain(uuid) TO redthread_app, redthread_worker;
--> statement-breakpoint
-- Whether goods of these lines have left anywhere in the chain: the lines themselves or any line
-- routed from them (at any depth) shipped units, or a dispatched shipment holds units of one of
-- them. cancelOrder and adjustOrder refuse when true (the way out is a return). Only lines the
-- caller is party to count: it learns nothing of lines it cannot see.
CREATE FUNCTION orders.chain_shipment_started(line_ids uuid[]) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, orders, inventory, app
  AS $$
    WITH RECURSIVE down(id, depth) AS (
      SELECT l.id, 0 FROM orders.order_lines l
      WHERE l.id = ANY (line_ids) AND app.current_partner_id() IN (l.seller_partner_id, l.buyer_partner_id)
      UNION ALL
      SELECT l.id, down.depth + 1 FROM orders.order_lines l JOIN down ON l.parent_line_id = down.id WHERE down.depth < 32
    )
    SELECT EXISTS (SELECT FROM orders.order_lines l JOIN down ON l.id = down.id WHERE l.shipped_quantity > 0)
        OR EXISTS (
          SELECT FROM inventory.reservations r
          JOIN inventory.shipments s ON s.id = r.shipment_id
          JOIN down ON r.order_line_id = down.id
          WHERE s.status = 'DISPATCHED')
  $$;
--> statement-breakpoint
ALTER FUNCTION orders.chain_shipment_started(uuid[]) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION orders.chain_shipment_started(uuid[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION orders.chain_shipment_started(uuid[]) TO redthread_app, redthread_worker;
--> statement-breakpoint
-- Whether any of these lines, or any line they were routed from (at any depth), is cancelled:
-- the goods must not leave. dispatchShipment and confirmShipment refuse when true. Only lines the
-- caller sells, or holds stock for in a warehouse it owns or operates, count.
CREATE FUNCTION orders.chain_cancelled(line_ids uuid[]) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, orders, inventory, app
  AS $$
    WITH RECURSIVE up(id, parent, status, depth) AS (
      SELECT l.id, l.parent_line_id, l.status, 0 FROM orders.order_lines l
      WHERE l.id = ANY (line_ids)
        AND (app.current_partner_id() = l.seller_partner_id OR EXISTS (
          SELECT FROM inventory.reservations r
          WHERE r.order_line_id = l.id AND app.current_partner_id() IN (r.owner_partner_id, r.operator_partner_id)))
      UNION ALL
      SELECT l.id, l.parent_line_id, l.status, up.depth + 1 FROM orders.order_lines l JOIN up ON l.id = up.parent WHERE up.depth < 32
    )
    SELECT EXISTS (SELECT FROM up WHERE up.status = 'CANCELLED')
  $$;
--> statement-breakpoint
ALTER FUNCTION orders.chain_cancelled(uuid[]) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION orders.chain_cancelled(uuid[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION orders.chain_cancelled(uuid[]) TO redthread_app, redthread_worker;
--> statement-breakpoint
-- Backorders are served oldest first: by when the line was first allocated, which a partial
-- allocation (it updates updated_at) no longer moves to the back of the queue.
ALTER TABLE inventory.allocations ADD COLUMN created_at timestamp with time zone DEFAULT now() NOT NULL;
--> statement-breakpoint
UPDATE inventory.allocations SET created_at = updated_at;
--> statement-breakpoint
CREATE INDEX allocations_backorder_queue_idx ON inventory.allocations (owner_partner_id, product_id, created_at, order_line_id) WHERE status = 'BACKORDERED';
