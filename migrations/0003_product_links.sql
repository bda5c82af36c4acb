CREATE TYPE "catalog"."link_status" AS ENUM('PROPOSED', 'ACTIVE', 'SUSPENDED', 'ENDED', 'REJECTED');--> statement-breakpoint
CREATE TYPE "catalog"."share_rule_kind" AS ENUM('NONE', 'ALL', 'PERCENT', 'FIXED');--> statement-breakpoint
CREATE TABLE "catalog"."product_links" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"downstream_partner_id" uuid NOT NULL,
	"downstream_product_id" uuid NOT NULL,
	"upstream_partner_id" uuid NOT NULL,
	"upstream_product_id" uuid NOT NULL,
	"status" "catalog"."link_status" DEFAULT 'PROPOSED' NOT NULL,
	"proposed_by_partner_id" uuid NOT NULL,
	"suspended_by_partner_id" uuid,
	"reason" text,
	"share_rule_kind" "catalog"."share_rule_kind" DEFAULT 'ALL' NOT NULL,
	"share_rule_value" integer,
	"safety_buffer" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "product_links_two_partners" CHECK ("catalog"."product_links"."downstream_partner_id" <> "catalog"."product_links"."upstream_partner_id"),
	CONSTRAINT "product_links_proposer_is_party" CHECK ("catalog"."product_links"."proposed_by_partner_id" in ("catalog"."product_links"."downstream_partner_id", "catalog"."product_links"."upstream_partner_id")),
	CONSTRAINT "product_links_share_rule_value" CHECK (("catalog"."product_links"."share_rule_kind" in ('NONE', 'ALL') and "catalog"."product_links"."share_rule_value" is null)
        or ("catalog"."product_links"."share_rule_kind" = 'PERCENT' and "catalog"."product_links"."share_rule_value" between 0 and 100)
        or ("catalog"."product_links"."share_rule_kind" = 'FIXED' and "catalog"."product_links"."share_rule_value" >= 0)),
	CONSTRAINT "product_links_safety_buffer" CHECK ("catalog"."product_links"."safety_buffer" >= 0),
	CONSTRAINT "product_links_suspended_by" CHECK (("catalog"."product_links"."status" = 'SUSPENDED') = ("catalog"."product_links"."suspended_by_partner_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "catalog"."supply_prices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"link_id" uuid NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"effective_from" timestamp with time zone NOT NULL,
	"set_by_partner_id" uuid NOT NULL,
	"set_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "supply_prices_link_effective_unique" UNIQUE("link_id","effective_from"),
	CONSTRAINT "supply_prices_amount_not_negative" CHECK ("catalog"."supply_prices"."amount_minor" >= 0),
	CONSTRAINT "supply_prices_currency_iso" CHECK ("catalog"."supply_prices"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
ALTER TABLE "catalog"."products" ADD CONSTRAINT "products_id_owner_unique" UNIQUE("id","owner_partner_id");--> statement-breakpoint
ALTER TABLE "catalog"."product_links" ADD CONSTRAINT "product_links_proposed_by_partner_id_partners_id_fk" FOREIGN KEY ("proposed_by_partner_id") REFERENCES "catalog"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."product_links" ADD CONSTRAINT "product_links_suspended_by_partner_id_partners_id_fk" FOREIGN KEY ("suspended_by_partner_id") REFERENCES "catalog"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."product_links" ADD CONSTRAINT "product_links_downstream_product_fk" FOREIGN KEY ("downstream_product_id","downstream_partner_id") REFERENCES "catalog"."products"("id","owner_partner_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."product_links" ADD CONSTRAINT "product_links_upstream_product_fk" FOREIGN KEY ("upstream_product_id","upstream_partner_id") REFERENCES "catalog"."products"("id","owner_partner_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."supply_prices" ADD CONSTRAINT "supply_prices_link_id_product_links_id_fk" FOREIGN KEY ("link_id") REFERENCES "catalog"."product_links"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."supply_prices" ADD CONSTRAINT "supply_prices_set_by_partner_id_partners_id_fk" FOREIGN KEY ("set_by_partner_id") REFERENCES "catalog"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "product_links_live_pair" ON "catalog"."product_links" USING btree ("downstream_product_id","upstream_product_id") WHERE status in ('PROPOSED', 'ACTIVE', 'SUSPENDED');--> statement-breakpoint
CREATE UNIQUE INDEX "product_links_one_active_upstream" ON "catalog"."product_links" USING btree ("downstream_product_id") WHERE status = 'ACTIVE';--> statement-breakpoint
CREATE INDEX "product_links_downstream_partner_idx" ON "catalog"."product_links" USING btree ("downstream_partner_id","status");--> statement-breakpoint
CREATE INDEX "product_links_upstream_partner_idx" ON "catalog"."product_links" USING btree ("upstream_partner_id","status");--> statement-breakpoint
CREATE INDEX "product_links_upstream_product_idx" ON "catalog"."product_links" USING btree ("upstream_product_id");
