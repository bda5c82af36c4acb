-- A shipment picked before its order's quantity was adjusted in place (adjustOrder edits routed
-- lines up the chain until they are picked) must not leave with the old quantity. Dispatch, under
-- the chain lock, asks whether the units it holds for each line still fit what the line has left
-- to ship; inventory then re-allocates from the `order.adjusted` event. Answers only the boolean,
-- for lines the caller already holds stock for (a 3PL operator cannot read its owner's orders).
CREATE FUNCTION orders.lines_exceeded(line_ids uuid[], quantities int[]) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, orders
  AS $$
    SELECT EXISTS (
      SELECT FROM unnest(line_ids, quantities) AS held(line_id, quantity)
      JOIN orders.order_lines l ON l.id = held.line_id
      WHERE held.quantity > l.quantity - l.shipped_quantity)
  $$;
--> statement-breakpoint
ALTER FUNCTION orders.lines_exceeded(uuid[], int[]) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION orders.lines_exceeded(uuid[], int[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION orders.lines_exceeded(uuid[], int[]) TO redthread_app, redthread_worker;
