CREATE SCHEMA "events";
--> statement-breakpoint
CREATE SCHEMA "catalog";
--> statement-breakpoint
CREATE TYPE "catalog"."partner_kind" AS ENUM('CHANNEL', 'TRADER', 'SUPPLIER');--> statement-breakpoint
CREATE TYPE "catalog"."product_status" AS ENUM('ACTIVE', 'ARCHIVED');--> statement-breakpoint
CREATE TABLE "events"."consumer_cursors" (
	"consumer" text PRIMARY KEY NOT NULL,
	"txid" "xid8" DEFAULT '0'::xid8 NOT NULL,
	"event_id" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events"."event_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"topic" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"audience" uuid[] NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog"."partners" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"kinds" "catalog"."partner_kind"[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "partners_code_unique" UNIQUE("code"),
	CONSTRAINT "partners_code_format" CHECK ("catalog"."partners"."code" ~ '^[A-Z0-9][A-Z0-9-]{1,31}$'),
	CONSTRAINT "partners_kinds_not_empty" CHECK (cardinality("catalog"."partners"."kinds") > 0)
);
--> statement-breakpoint
CREATE TABLE "catalog"."products" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"sku_code" text NOT NULL,
	"barcode" text,
	"name" text NOT NULL,
	"unit" text DEFAULT 'pcs' NOT NULL,
	"status" "catalog"."product_status" DEFAULT 'ACTIVE' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "products_owner_sku_unique" UNIQUE("owner_partner_id","sku_code"),
	CONSTRAINT "products_sku_code_not_blank" CHECK (length(btrim("catalog"."products"."sku_code")) > 0),
	CONSTRAINT "products_name_not_blank" CHECK (length(btrim("catalog"."products"."name")) > 0)
);
--> statement-breakpoint
ALTER TABLE "catalog"."products" ADD CONSTRAINT "products_owner_partner_id_partners_id_fk" FOREIGN KEY ("owner_partner_id") REFERENCES "catalog"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "event_log_txid_id_idx" ON "events"."event_log" USING btree ("txid","id");--> statement-breakpoint
CREATE INDEX "event_log_audience_idx" ON "events"."event_log" USING gin ("audience");--> statement-breakpoint
CREATE INDEX "products_owner_name_idx" ON "catalog"."products" USING btree ("owner_partner_id","name");