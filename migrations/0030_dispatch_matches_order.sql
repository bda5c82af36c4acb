-- A shipment picked before its order's quantity was adjusted in place (adjustOrder edits routed
-- lines up the chain until they are picked) must not leave with the old quantity. Dispatch, under
-- the chain lock, asks whether the units it holds for each line still fit what the line has left
-- to ship — counting what other shipments of the line (a line may split across warehouses)
-- already dispatched; inventory then re-allocates from the `order.adjusted` event. Answers only
-- the boolean, and only for lines the caller holds stock for in a warehouse it owns or operates
-- (a 3PL operator cannot read its owner's orders).
CREATE FUNCTION orders.lines_exceeded(line_ids uuid[], quantities int[]) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, orders, inventory, app
  AS $$
    SELECT EXISTS (
      SELECT FROM unnest(line_ids, quantities) AS held(line_id, quantity)
      JOIN orders.order_lines l ON l.id = held.line_id
      WHERE EXISTS (
          SELECT FROM inventory.reservations r
          WHERE r.order_line_id = l.id AND app.current_partner_id() IN (r.owner_partner_id, r.operator_partner_id))
        -- Shipped so far: what its dispatched shipments took (orders' shipped_quantity follows them
        -- through the workflow), or what was reported shipped from outside (confirmShipment).
        AND held.quantity + greatest(l.shipped_quantity, coalesce((
          SELECT sum(r.quantity) FROM inventory.reservations r JOIN inventory.shipments s ON s.id = r.shipment_id
          WHERE r.order_line_id = l.id AND s.status = 'DISPATCHED'), 0)) > l.quantity)
  $$;
--> statement-breakpoint
ALTER FUNCTION orders.lines_exceeded(uuid[], int[]) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION orders.lines_exceeded(uuid[], int[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION orders.lines_exceeded(uuid[], int[]) TO redthread_app, redthread_worker;
