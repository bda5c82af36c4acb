CREATE SCHEMA "orders";
--> statement-breakpoint
CREATE TYPE "orders"."channel_kind" AS ENUM('SHOP', 'MARKETPLACE', 'OFFLINE', 'API');--> statement-breakpoint
CREATE TYPE "orders"."line_fulfilment" AS ENUM('OWN', 'DISTRIBUTED');--> statement-breakpoint
CREATE TYPE "orders"."line_status" AS ENUM('OPEN', 'ROUTED', 'NEEDS_DECISION', 'SHIPPED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "orders"."order_kind" AS ENUM('SALES', 'DISTRIBUTION', 'PURCHASE');--> statement-breakpoint
CREATE TYPE "orders"."order_status" AS ENUM('DRAFT', 'PENDING_REVIEW', 'PENDING_FINANCE_REVIEW', 'PENDING_ACCEPTANCE', 'APPROVED', 'ALLOCATED', 'BACKORDERED', 'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'ON_HOLD', 'CANCELLED', 'REJECTED');--> statement-breakpoint
CREATE TYPE "orders"."return_status" AS ENUM('REQUESTED', 'APPROVED', 'REJECTED', 'RECEIVED', 'REFUNDED', 'CREDITED');--> statement-breakpoint
CREATE TABLE "orders"."channels" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partner_id" uuid NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"kind" "orders"."channel_kind" NOT NULL,
	"custom_fields" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channels_partner_code_unique" UNIQUE("partner_id","code"),
	CONSTRAINT "channels_id_partner_unique" UNIQUE("id","partner_id"),
	CONSTRAINT "channels_code_format" CHECK ("orders"."channels"."code" ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$')
);
--> statement-breakpoint
CREATE TABLE "orders"."customers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"phone" text,
	"addresses" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customers_id_partner_unique" UNIQUE("id","partner_id")
);
--> statement-breakpoint
CREATE TABLE "orders"."order_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"seller_partner_id" uuid NOT NULL,
	"buyer_partner_id" uuid,
	"line_no" integer NOT NULL,
	"product_id" uuid NOT NULL,
	"buyer_product_id" uuid,
	"quantity" integer NOT NULL,
	"shipped_quantity" integer DEFAULT 0 NOT NULL,
	"unit_price_minor" bigint NOT NULL,
	"status" "orders"."line_status" DEFAULT 'OPEN' NOT NULL,
	"fulfilment" "orders"."line_fulfilment",
	"link_id" uuid,
	"parent_line_id" uuid,
	CONSTRAINT "order_lines_quantity_positive" CHECK ("orders"."order_lines"."quantity" > 0),
	CONSTRAINT "order_lines_shipped_range" CHECK ("orders"."order_lines"."shipped_quantity" between 0 and "orders"."order_lines"."quantity"),
	CONSTRAINT "order_lines_price_not_negative" CHECK ("orders"."order_lines"."unit_price_minor" >= 0)
);
--> statement-breakpoint
CREATE TABLE "orders"."order_timeline" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"seller_partner_id" uuid NOT NULL,
	"buyer_partner_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_partner_id" uuid NOT NULL,
	"actor_subject" text NOT NULL,
	"from_status" "orders"."order_status",
	"to_status" "orders"."order_status" NOT NULL,
	"reason" text
);
--> statement-breakpoint
CREATE TABLE "orders"."orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" "orders"."order_kind" NOT NULL,
	"seller_partner_id" uuid NOT NULL,
	"buyer_partner_id" uuid,
	"channel_id" uuid,
	"customer_id" uuid,
	"external_number" text,
	"parent_order_id" uuid,
	"warehouse_id" uuid,
	"status" "orders"."order_status" NOT NULL,
	"held_from_status" "orders"."order_status",
	"currency" char(3) NOT NULL,
	"total_minor" bigint DEFAULT 0 NOT NULL,
	"ship_to" jsonb,
	"delivery_method" text,
	"custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"idempotency_key" text,
	"request_hash" text,
	"placed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_kind_shape" CHECK (("orders"."orders"."kind" = 'SALES' and "orders"."orders"."buyer_partner_id" is null and "orders"."orders"."channel_id" is not null)
        or ("orders"."orders"."kind" <> 'SALES' and "orders"."orders"."buyer_partner_id" is not null and "orders"."orders"."buyer_partner_id" <> "orders"."orders"."seller_partner_id")),
	CONSTRAINT "orders_currency_iso" CHECK ("orders"."orders"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "orders_total_not_negative" CHECK ("orders"."orders"."total_minor" >= 0),
	CONSTRAINT "orders_held_from" CHECK (("orders"."orders"."status" = 'ON_HOLD') = ("orders"."orders"."held_from_status" is not null))
);
--> statement-breakpoint
CREATE TABLE "orders"."order_returns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"line_id" uuid NOT NULL,
	"seller_partner_id" uuid NOT NULL,
	"buyer_partner_id" uuid,
	"quantity" integer NOT NULL,
	"reason" text NOT NULL,
	"status" "orders"."return_status" DEFAULT 'REQUESTED' NOT NULL,
	"parent_return_id" uuid,
	"decision_note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "order_returns_quantity_positive" CHECK ("orders"."order_returns"."quantity" > 0)
);
--> statement-breakpoint
ALTER TABLE "orders"."order_lines" ADD CONSTRAINT "order_lines_order_fk" FOREIGN KEY ("order_id") REFERENCES "orders"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."order_lines" ADD CONSTRAINT "order_lines_parent_fk" FOREIGN KEY ("parent_line_id") REFERENCES "orders"."order_lines"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."order_timeline" ADD CONSTRAINT "order_timeline_order_fk" FOREIGN KEY ("order_id") REFERENCES "orders"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."orders" ADD CONSTRAINT "orders_channel_fk" FOREIGN KEY ("channel_id","seller_partner_id") REFERENCES "orders"."channels"("id","partner_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."orders" ADD CONSTRAINT "orders_customer_fk" FOREIGN KEY ("customer_id","seller_partner_id") REFERENCES "orders"."customers"("id","partner_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."orders" ADD CONSTRAINT "orders_parent_fk" FOREIGN KEY ("parent_order_id") REFERENCES "orders"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."order_returns" ADD CONSTRAINT "order_returns_order_fk" FOREIGN KEY ("order_id") REFERENCES "orders"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."order_returns" ADD CONSTRAINT "order_returns_line_fk" FOREIGN KEY ("line_id") REFERENCES "orders"."order_lines"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."order_returns" ADD CONSTRAINT "order_returns_parent_fk" FOREIGN KEY ("parent_return_id") REFERENCES "orders"."order_returns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "order_lines_order_line_no" ON "orders"."order_lines" USING btree ("order_id","line_no");--> statement-breakpoint
CREATE INDEX "order_lines_parent_idx" ON "orders"."order_lines" USING btree ("parent_line_id");--> statement-breakpoint
CREATE INDEX "order_lines_product_idx" ON "orders"."order_lines" USING btree ("product_id");--> statement-breakpoint
CREATE INDEX "order_timeline_order_idx" ON "orders"."order_timeline" USING btree ("order_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_channel_external_unique" ON "orders"."orders" USING btree ("channel_id","external_number") WHERE external_number is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "orders_idempotency_unique" ON "orders"."orders" USING btree ("seller_partner_id","idempotency_key") WHERE idempotency_key is not null;--> statement-breakpoint
CREATE INDEX "orders_seller_idx" ON "orders"."orders" USING btree ("seller_partner_id","placed_at");--> statement-breakpoint
CREATE INDEX "orders_buyer_idx" ON "orders"."orders" USING btree ("buyer_partner_id","placed_at");--> statement-breakpoint
CREATE INDEX "orders_parent_idx" ON "orders"."orders" USING btree ("parent_order_id");--> statement-breakpoint
CREATE INDEX "order_returns_line_idx" ON "orders"."order_returns" USING btree ("line_id");