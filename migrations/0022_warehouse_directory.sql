-- Published by inventory for orders: the warehouses the caller owns, where its purchase orders can
-- be delivered. security_invoker: inventory's row-level security decides who sees a warehouse; the
-- view narrows that to the owner (an operating 3PL sees the warehouse but does not buy into it).
-- A contract: add columns, never rename.
CREATE VIEW inventory.warehouse_directory WITH (security_invoker = true) AS
  SELECT w.id AS warehouse_id, w.owner_partner_id, w.code, w.name
  FROM inventory.warehouses w
  WHERE w.owner_partner_id = app.current_partner_id();
--> statement-breakpoint
GRANT SELECT ON inventory.warehouse_directory TO redthread_app;
