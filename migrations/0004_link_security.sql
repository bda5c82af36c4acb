-- Links, supply prices: row-level security, visibility of partners and products through links,
-- the graph helpers that must see across tenants, and the published view for other subgraphs.

-- Links: only their two parties see them. Inserts must name the caller as proposer and party.
ALTER TABLE catalog.product_links ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.product_links FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY product_links_parties_read ON catalog.product_links FOR SELECT TO redthread_app
  USING (app.current_partner_id() IN (downstream_partner_id, upstream_partner_id));
--> statement-breakpoint
CREATE POLICY product_links_parties_update ON catalog.product_links FOR UPDATE TO redthread_app
  USING (app.current_partner_id() IN (downstream_partner_id, upstream_partner_id))
  WITH CHECK (app.current_partner_id() IN (downstream_partner_id, upstream_partner_id));
--> statement-breakpoint
CREATE POLICY product_links_propose ON catalog.product_links FOR INSERT TO redthread_app
  WITH CHECK (proposed_by_partner_id = app.current_partner_id()
    AND app.current_partner_id() IN (downstream_partner_id, upstream_partner_id));
--> statement-breakpoint
REVOKE DELETE ON catalog.product_links FROM redthread_app;
--> statement-breakpoint

-- Supply prices: visible with their link; written by the link's upstream party only; append-only.
ALTER TABLE catalog.supply_prices ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE catalog.supply_prices FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY supply_prices_parties_read ON catalog.supply_prices FOR SELECT TO redthread_app
  USING (EXISTS (SELECT 1 FROM catalog.product_links l WHERE l.id = link_id));
--> statement-breakpoint
CREATE POLICY supply_prices_upstream_insert ON catalog.supply_prices FOR INSERT TO redthread_app
  WITH CHECK (set_by_partner_id = app.current_partner_id()
    AND EXISTS (SELECT 1 FROM catalog.product_links l
                WHERE l.id = link_id AND l.upstream_partner_id = app.current_partner_id()));
--> statement-breakpoint
REVOKE UPDATE, DELETE ON catalog.supply_prices FROM redthread_app;
--> statement-breakpoint

-- A product is visible to the other party of any link naming it (a rejected proposal excepted).
-- The subquery runs under the links' own policy, so only the caller's links count.
CREATE POLICY products_linked_read ON catalog.products FOR SELECT TO redthread_app
  USING (EXISTS (SELECT 1 FROM catalog.product_links l
                 WHERE (l.downstream_product_id = products.id OR l.upstream_product_id = products.id)
                   AND l.status <> 'REJECTED'));
--> statement-breakpoint
-- A partner is visible to partners it has a link or a pending proposal with.
CREATE POLICY partners_linked_read ON catalog.partners FOR SELECT TO redthread_app
  USING (EXISTS (SELECT 1 FROM catalog.product_links l
                 WHERE (l.downstream_partner_id = partners.id OR l.upstream_partner_id = partners.id)
                   AND l.status <> 'REJECTED'));
--> statement-breakpoint

-- Finding the counterpart's product by partner code and SKU code, for a proposal. It must look
-- past row-level security (the product is not visible before a link exists), so it runs as the
-- owner and returns only what a proposal needs.
CREATE FUNCTION catalog.find_product_for_proposal(wanted_partner_code text, wanted_sku_code text)
  RETURNS TABLE (product_id uuid, partner_id uuid, product_status catalog.product_status)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, catalog
  AS $$
    SELECT p.id, p.owner_partner_id, p.status
    FROM catalog.products p JOIN catalog.partners o ON o.id = p.owner_partner_id
    WHERE o.code = upper(wanted_partner_code) AND p.sku_code = wanted_sku_code
  $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION catalog.find_product_for_proposal(text, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION catalog.find_product_for_proposal(text, text) TO redthread_app;
--> statement-breakpoint

-- Whether a new link would close a loop: is its downstream product already reachable by walking
-- up from its upstream product over live links (of any partners)? Runs as the owner because the
-- chain crosses tenants; it reveals one boolean.
CREATE FUNCTION catalog.link_would_cycle(new_downstream_product uuid, new_upstream_product uuid)
  RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, catalog
  AS $$
    WITH RECURSIVE chain(product_id) AS (
      SELECT new_upstream_product
      UNION
      SELECT l.upstream_product_id
      FROM catalog.product_links l JOIN chain c ON l.downstream_product_id = c.product_id
      WHERE l.status IN ('PROPOSED', 'ACTIVE', 'SUSPENDED')
    )
    SELECT EXISTS (SELECT 1 FROM chain WHERE product_id = new_downstream_product)
  $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION catalog.link_would_cycle(uuid, uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION catalog.link_would_cycle(uuid, uuid) TO redthread_app;
--> statement-breakpoint

-- Published contract for other subgraphs (orders routes with it). Runs with the caller's rights,
-- so a partner sees only its own links. Columns may be added, never renamed or removed.
CREATE VIEW catalog.active_supply_links WITH (security_invoker = true) AS
  SELECT l.id AS link_id,
         l.downstream_partner_id, l.downstream_product_id,
         l.upstream_partner_id, l.upstream_product_id,
         price.amount_minor AS price_amount_minor,
         price.currency AS price_currency,
         price.effective_from AS price_effective_from
  FROM catalog.product_links l
  LEFT JOIN LATERAL (
    SELECT sp.amount_minor, sp.currency, sp.effective_from
    FROM catalog.supply_prices sp
    WHERE sp.link_id = l.id AND sp.effective_from <= now()
    ORDER BY sp.effective_from DESC
    LIMIT 1
  ) price ON true
  WHERE l.status = 'ACTIVE';
--> statement-breakpoint
COMMENT ON VIEW catalog.active_supply_links IS
  'Contract: ACTIVE product links visible to the caller, with the supply price in force now (NULL before the first price takes effect). Owned by catalog; read-only for other subgraphs.';
--> statement-breakpoint
GRANT SELECT ON catalog.active_supply_links TO redthread_app;
--> statement-breakpoint

-- The ACTIVE upstream link of a downstream product other than `except_link`, if any. Runs as the
-- owner: the accepting supplier cannot see the buyer's links with other suppliers, yet must be
-- told that the product already routes elsewhere.
CREATE FUNCTION catalog.active_upstream_link(of_downstream_product uuid, except_link uuid)
  RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, catalog
  AS $$
    SELECT id FROM catalog.product_links
    WHERE downstream_product_id = of_downstream_product AND status = 'ACTIVE' AND id <> except_link
    LIMIT 1
  $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION catalog.active_upstream_link(uuid, uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION catalog.active_upstream_link(uuid, uuid) TO redthread_app;
