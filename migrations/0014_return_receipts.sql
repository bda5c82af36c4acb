-- Published by orders for inventory: returns with the product and quantity to receive.
CREATE VIEW orders.return_directory WITH (security_invoker = true) AS
  SELECT r.id AS return_id, r.order_id, r.line_id, r.status, r.quantity, r.seller_partner_id, r.buyer_partner_id,
         l.product_id, o.kind AS order_kind
  FROM orders.order_returns r
  JOIN orders.order_lines l ON l.id = r.line_id
  JOIN orders.orders o ON o.id = r.order_id;
--> statement-breakpoint
COMMENT ON VIEW orders.return_directory IS
  'Contract: returns visible to the caller with status, quantity, the seller and the product of the returned line. Owned by orders.';
--> statement-breakpoint
GRANT SELECT ON orders.return_directory TO redthread_app;
