-- Sellable quantity through every hop of the drop-ship chain (issue 15), and the events that tell
-- live subscribers when it may have changed.
--
--   sellable(P) = Σ over P's ACTIVE upstream links l: share(l)(sellable(upstream product of l)),
--                 or, when P has none, the available stock of P's owner for P (on hand − reserved,
--                 all its warehouses)
--   share(l)(x) = x less the link's safety buffer (never below 0), then its rule: NONE 0, ALL all
--                 of it, PERCENT rounded down, FIXED capped.
--
-- A linked product's own stock does not count: routing passes its lines up the link, so that stock
-- is not what fills them (a suspended link lets it count again). What a partner reads: for its own product P, sellable(P); for an
-- upstream product U it is the downstream party of (ACTIVE link l), share(l)(sellable(U)); for
-- anything else, nothing. So no hop is revealed beyond its rule: SHOP-A reads what the A–B rule gives
-- it of TRADER-B's sellable quantity, never SUPPLIER-C's stock nor the B–C rule. The walk goes at most
-- 16 hops above each product asked for (catalog refuses cycles; a path guard bounds the walk anyway).

-- A link's share rule applied to the units the hop above can sell.
CREATE FUNCTION inventory.shared_units(kind catalog.share_rule_kind, rule_value integer, safety_buffer integer, units bigint)
  RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT CASE kind
             WHEN 'NONE' THEN 0
             WHEN 'ALL' THEN greatest(units - safety_buffer, 0)
             WHEN 'PERCENT' THEN greatest(units - safety_buffer, 0) * rule_value / 100
             WHEN 'FIXED' THEN least(greatest(units - safety_buffer, 0), rule_value)
           END
  $$;
--> statement-breakpoint

-- The sellable quantities of a batch of products for the calling partner (app.current_partner_id()),
-- one row per product it may read (see above); products it may not read have no row. One call for
-- the whole batch: the chain above every asked product is walked once (a recursive CTE), then the
-- values are folded down the links set-wise, one statement per round, until they settle (a chain of
-- n hops settles in n rounds).
CREATE FUNCTION inventory.chain_sellable_quantities(product_ids uuid[])
  RETURNS TABLE (product_id uuid, sellable integer)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, inventory, catalog
  AS $$
  DECLARE
    reader uuid := app.current_partner_id();
    chain_nodes uuid[];
    chain_links uuid[];
    node_own bigint[];
    node_value bigint[];
    next_value bigint[];
    link_down uuid[];
    link_up uuid[];
    link_kind catalog.share_rule_kind[];
    link_rule_value integer[];
    link_buffer integer[];
  BEGIN
    IF reader IS NULL OR product_ids IS NULL OR cardinality(product_ids) = 0 THEN
      RETURN;
    END IF;
    WITH RECURSIVE readable AS (
      SELECT DISTINCT x.id FROM unnest(product_ids) AS x(id)
      WHERE EXISTS (SELECT FROM catalog.products p WHERE p.id = x.id AND p.owner_partner_id = reader)
         OR EXISTS (SELECT FROM catalog.product_links l
                    WHERE l.upstream_product_id = x.id AND l.downstream_partner_id = reader AND l.status = 'ACTIVE')
    ), up (id, depth, path, link_id) AS (
      SELECT r.id, 0, ARRAY[r.id], NULL::uuid FROM readable r
      UNION ALL
      SELECT l.upstream_product_id, up.depth + 1, up.path || l.upstream_product_id, l.id
      FROM up JOIN catalog.product_links l ON l.downstream_product_id = up.id AND l.status = 'ACTIVE'
      WHERE up.depth < 16 AND l.upstream_product_id <> ALL (up.path)
    )
    SELECT (SELECT array_agg(DISTINCT u.id) FROM up u),
           (SELECT array_agg(DISTINCT u.link_id) FROM up u WHERE u.link_id IS NOT NULL)
    INTO chain_nodes, chain_links;
    IF chain_nodes IS NULL THEN
      RETURN;
    END IF;

    -- Each hop's own available stock of its product — only where the product has no ACTIVE
    -- upstream link: routing passes such a product's lines up the link, so its own stock is not
    -- what fills them (counting it would promise units the chain does not deliver).
    SELECT array_agg(n.id ORDER BY n.ord),
           array_agg(CASE WHEN EXISTS (
                       SELECT FROM catalog.product_links al WHERE al.downstream_product_id = n.id AND al.status = 'ACTIVE')
                     THEN 0 ELSE coalesce(s.units, 0) END ORDER BY n.ord)
    INTO chain_nodes, node_own
    FROM unnest(chain_nodes) WITH ORDINALITY AS n(id, ord)
    JOIN catalog.products p ON p.id = n.id
    LEFT JOIN LATERAL (
      SELECT sum(st.on_hand - st.reserved)::bigint AS units FROM inventory.stock st
      WHERE st.owner_partner_id = p.owner_partner_id AND st.product_id = n.id
    ) s ON true;

    SELECT array_agg(l.downstream_product_id), array_agg(l.upstream_product_id), array_agg(l.share_rule_kind),
           array_agg(l.share_rule_value), array_agg(l.safety_buffer)
    INTO link_down, link_up, link_kind, link_rule_value, link_buffer
    FROM catalog.product_links l WHERE l.id = ANY (coalesce(chain_links, '{}'));

    node_value := node_own;
    IF link_down IS NOT NULL THEN
      FOR pass IN 1..cardinality(chain_nodes) LOOP
        SELECT array_agg(n.own + coalesce(f.flow, 0) ORDER BY n.ord)
        INTO next_value
        FROM unnest(chain_nodes, node_own) WITH ORDINALITY AS n(id, own, ord)
        LEFT JOIN (
          SELECT e.down, sum(inventory.shared_units(e.kind, e.rule_value, e.buffer, v.units))::bigint AS flow
          FROM unnest(link_down, link_up, link_kind, link_rule_value, link_buffer) AS e(down, up, kind, rule_value, buffer)
          JOIN unnest(chain_nodes, node_value) AS v(id, units) ON v.id = e.up
          GROUP BY e.down
        ) f ON f.down = n.id;
        EXIT WHEN next_value = node_value;
        node_value := next_value;
      END LOOP;
    END IF;

    RETURN QUERY
    SELECT r.id, least(r.units, 2147483647)::integer
    FROM (
      SELECT v.id,
             CASE WHEN p.owner_partner_id = reader THEN v.units
                  ELSE (SELECT max(inventory.shared_units(l.share_rule_kind, l.share_rule_value, l.safety_buffer, v.units))
                        FROM catalog.product_links l
                        WHERE l.upstream_product_id = v.id AND l.downstream_partner_id = reader AND l.status = 'ACTIVE')
             END AS units
      FROM unnest(chain_nodes, node_value) AS v(id, units)
      JOIN catalog.products p ON p.id = v.id
      WHERE v.id = ANY (product_ids)
    ) r
    WHERE r.units IS NOT NULL;
  END
  $$;
--> statement-breakpoint
ALTER FUNCTION inventory.chain_sellable_quantities(uuid[]) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION inventory.chain_sellable_quantities(uuid[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION inventory.chain_sellable_quantities(uuid[]) TO redthread_app;
--> statement-breakpoint
-- The one-hop predecessor (0009); nothing calls it any more.
DROP FUNCTION inventory.sellable_quantity(uuid);
--> statement-breakpoint

-- `sellable.changed`: appended in the transaction of every change that can move a sellable
-- quantity — a stock slot's available units (receipts, shipments, transfers, counts, reservations
-- and their release) or an ACTIVE link's status or share rule — for the changed products and every
-- product downstream of them through ACTIVE links (at most 16 hops down). Entity: the product;
-- audience: the partners entitled to read its sellable quantity (its owner, and the downstream
-- parties of ACTIVE links naming it); payload: the product id only, so the event says nothing of
-- the hop whose stock moved. The subscription `sellableQuantityChanged` evaluates each event under
-- the subscriber's own identity and pushes only a changed value.
GRANT INSERT ON events.event_log TO redthread_definer;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE events.event_log_id_seq TO redthread_definer;
--> statement-breakpoint
CREATE POLICY event_log_definer_sellable ON events.event_log FOR INSERT TO redthread_definer
  WITH CHECK (topic = 'sellable.changed');
--> statement-breakpoint
CREATE FUNCTION inventory.append_sellable_changed(changed uuid[]) RETURNS void
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, inventory, catalog, events
  AS $$
    WITH RECURSIVE down (id, depth, path) AS (
      SELECT c.id, 0, ARRAY[c.id] FROM (SELECT DISTINCT x.id FROM unnest(changed) AS x(id) WHERE x.id IS NOT NULL) c
      UNION ALL
      SELECT l.downstream_product_id, down.depth + 1, down.path || l.downstream_product_id
      FROM down JOIN catalog.product_links l ON l.upstream_product_id = down.id AND l.status = 'ACTIVE'
      WHERE down.depth < 16 AND l.downstream_product_id <> ALL (down.path)
    )
    INSERT INTO events.event_log (topic, entity_type, entity_id, audience, payload)
    SELECT 'sellable.changed', 'Product', p.id::text,
           ARRAY[p.owner_partner_id] || coalesce((
             SELECT array_agg(DISTINCT l.downstream_partner_id) FROM catalog.product_links l
             WHERE l.upstream_product_id = p.id AND l.status = 'ACTIVE' AND l.downstream_partner_id <> p.owner_partner_id), '{}'),
           jsonb_build_object('productId', p.id)
    FROM (SELECT DISTINCT down.id FROM down) a
    JOIN catalog.products p ON p.id = a.id
    ORDER BY p.id
  $$;
--> statement-breakpoint
ALTER FUNCTION inventory.append_sellable_changed(uuid[]) OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION inventory.append_sellable_changed(uuid[]) FROM PUBLIC;
--> statement-breakpoint
-- Per statement on inventory.stock: the products whose available units (on hand − reserved) moved.
-- A dispatch takes on hand and reserved together, so it moves nothing and appends nothing.
CREATE FUNCTION inventory.stock_sellable_changed() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, inventory
  AS $$
  DECLARE
    moved uuid[];
  BEGIN
    IF TG_OP = 'INSERT' THEN
      SELECT array_agg(DISTINCT n.product_id) INTO moved FROM new_stock n WHERE n.on_hand - n.reserved <> 0;
    ELSE
      SELECT array_agg(DISTINCT n.product_id) INTO moved
      FROM new_stock n JOIN old_stock o ON o.id = n.id
      WHERE n.on_hand - n.reserved <> o.on_hand - o.reserved;
    END IF;
    IF moved IS NOT NULL THEN
      PERFORM inventory.append_sellable_changed(moved);
    END IF;
    RETURN NULL;
  END
  $$;
--> statement-breakpoint
ALTER FUNCTION inventory.stock_sellable_changed() OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION inventory.stock_sellable_changed() FROM PUBLIC;
--> statement-breakpoint
CREATE TRIGGER stock_sellable_inserted AFTER INSERT ON inventory.stock
  REFERENCING NEW TABLE AS new_stock
  FOR EACH STATEMENT EXECUTE FUNCTION inventory.stock_sellable_changed();
--> statement-breakpoint
CREATE TRIGGER stock_sellable_updated AFTER UPDATE ON inventory.stock
  REFERENCING OLD TABLE AS old_stock NEW TABLE AS new_stock
  FOR EACH STATEMENT EXECUTE FUNCTION inventory.stock_sellable_changed();
--> statement-breakpoint
-- An ACTIVE link changing status or share rule moves what flows down it: its upstream product (what
-- the downstream party reads of it) and its downstream product and everything below.
CREATE FUNCTION inventory.link_sellable_changed() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, inventory
  AS $$
  BEGIN
    PERFORM inventory.append_sellable_changed(ARRAY[NEW.upstream_product_id, NEW.downstream_product_id]);
    RETURN NULL;
  END
  $$;
--> statement-breakpoint
ALTER FUNCTION inventory.link_sellable_changed() OWNER TO redthread_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION inventory.link_sellable_changed() FROM PUBLIC;
--> statement-breakpoint
CREATE TRIGGER product_links_sellable_changed AFTER UPDATE ON catalog.product_links
  FOR EACH ROW
  WHEN ((OLD.status = 'ACTIVE' OR NEW.status = 'ACTIVE')
        AND (OLD.status IS DISTINCT FROM NEW.status
             OR OLD.share_rule_kind IS DISTINCT FROM NEW.share_rule_kind
             OR OLD.share_rule_value IS DISTINCT FROM NEW.share_rule_value
             OR OLD.safety_buffer IS DISTINCT FROM NEW.safety_buffer))
  EXECUTE FUNCTION inventory.link_sellable_changed();
