-- Published by catalog: the partners the caller may see (itself and those it has a link or a
-- proposal with), by code. Other subgraphs resolve a counterpart's code through it, so an
-- unrelated partner's code answers exactly like an unknown one.
CREATE VIEW catalog.partner_directory WITH (security_invoker = true) AS
  SELECT id AS partner_id, code, name FROM catalog.partners;
--> statement-breakpoint
COMMENT ON VIEW catalog.partner_directory IS
  'Contract: partners visible to the caller (itself, linked partners) with id, code and name. Owned by catalog.';
--> statement-breakpoint
GRANT SELECT ON catalog.partner_directory TO redthread_app;
