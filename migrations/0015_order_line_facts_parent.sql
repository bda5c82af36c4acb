-- orders.order_line_facts gains parent_line_id (added at the end, as the contract allows), so
-- finance can cost a drop-shipped sales line at what its distribution line was invoiced.
CREATE OR REPLACE VIEW orders.order_line_facts WITH (security_invoker = true) AS
  SELECT l.id AS line_id, l.order_id, o.kind, o.status, o.seller_partner_id, o.buyer_partner_id,
         o.customer_id, o.channel_id, o.external_number, l.product_id, l.buyer_product_id, l.link_id,
         l.quantity, l.shipped_quantity, l.unit_price_minor, o.currency, o.placed_at,
         l.parent_line_id
  FROM orders.order_lines l JOIN orders.orders o ON o.id = l.order_id;
