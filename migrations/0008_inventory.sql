CREATE SCHEMA "inventory";
--> statement-breakpoint
CREATE TYPE "inventory"."warehouse_kind" AS ENUM('OWN', 'THIRD_PARTY');--> statement-breakpoint
CREATE TYPE "inventory"."allocation_status" AS ENUM('ALLOCATED', 'BACKORDERED', 'RELEASED', 'SHIPPED');--> statement-breakpoint
CREATE TYPE "inventory"."movement_kind" AS ENUM('PURCHASE_RECEIPT', 'FREE_RECEIPT', 'RETURN_RECEIPT', 'TRANSFER_OUT', 'TRANSFER_IN', 'COUNT_ADJUSTMENT', 'SHIPMENT');--> statement-breakpoint
CREATE TYPE "inventory"."count_status" AS ENUM('OPEN', 'COUNTED', 'POSTED');--> statement-breakpoint
CREATE TYPE "inventory"."shipment_status" AS ENUM('TO_PICK', 'READY', 'DISPATCHED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "inventory"."transfer_status" AS ENUM('CREATED', 'IN_TRANSIT', 'RECEIVED', 'CANCELLED');--> statement-breakpoint
CREATE TABLE "inventory"."batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"lot_number" text NOT NULL,
	"produced_on" date,
	"expires_on" date
);
--> statement-breakpoint
CREATE TABLE "inventory"."locations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"warehouse_id" uuid NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"operator_partner_id" uuid,
	"code" text NOT NULL,
	CONSTRAINT "locations_warehouse_code_unique" UNIQUE("warehouse_id","code")
);
--> statement-breakpoint
CREATE TABLE "inventory"."warehouses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"operator_partner_id" uuid,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"kind" "inventory"."warehouse_kind" NOT NULL,
	"regions" text[] DEFAULT '{}'::text[] NOT NULL,
	"priority" integer DEFAULT 100 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "warehouses_owner_code_unique" UNIQUE("owner_partner_id","code"),
	CONSTRAINT "warehouses_operator_kind" CHECK (("inventory"."warehouses"."kind" = 'OWN' and "inventory"."warehouses"."operator_partner_id" is null) or ("inventory"."warehouses"."kind" = 'THIRD_PARTY' and "inventory"."warehouses"."operator_partner_id" is not null and "inventory"."warehouses"."operator_partner_id" <> "inventory"."warehouses"."owner_partner_id")),
	CONSTRAINT "warehouses_priority_range" CHECK ("inventory"."warehouses"."priority" between 0 and 10000)
);
--> statement-breakpoint
CREATE TABLE "inventory"."allocations" (
	"order_line_id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"region_code" text,
	"requested" integer NOT NULL,
	"allocated" integer DEFAULT 0 NOT NULL,
	"status" "inventory"."allocation_status" NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "allocations_range" CHECK ("inventory"."allocations"."allocated" >= 0 and "inventory"."allocations"."allocated" <= "inventory"."allocations"."requested")
);
--> statement-breakpoint
CREATE TABLE "inventory"."movements" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"warehouse_id" uuid NOT NULL,
	"location_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"batch_id" uuid,
	"owner_partner_id" uuid NOT NULL,
	"operator_partner_id" uuid,
	"kind" "inventory"."movement_kind" NOT NULL,
	"quantity" integer NOT NULL,
	"reference" text,
	"actor_partner_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "movements_quantity_not_zero" CHECK ("inventory"."movements"."quantity" <> 0)
);
--> statement-breakpoint
CREATE TABLE "inventory"."reservations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_line_id" uuid NOT NULL,
	"order_id" uuid NOT NULL,
	"stock_id" uuid NOT NULL,
	"warehouse_id" uuid NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"operator_partner_id" uuid,
	"quantity" integer NOT NULL,
	"shipment_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reservations_quantity_positive" CHECK ("inventory"."reservations"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "inventory"."stock" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"warehouse_id" uuid NOT NULL,
	"location_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"batch_id" uuid,
	"owner_partner_id" uuid NOT NULL,
	"operator_partner_id" uuid,
	"on_hand" integer DEFAULT 0 NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_slot_unique" UNIQUE NULLS NOT DISTINCT("warehouse_id","location_id","product_id","batch_id"),
	CONSTRAINT "stock_on_hand_not_negative" CHECK ("inventory"."stock"."on_hand" >= 0),
	CONSTRAINT "stock_reserved_range" CHECK ("inventory"."stock"."reserved" >= 0 and "inventory"."stock"."reserved" <= "inventory"."stock"."on_hand")
);
--> statement-breakpoint
CREATE TABLE "inventory"."shipments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"warehouse_id" uuid NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"operator_partner_id" uuid,
	"order_id" uuid NOT NULL,
	"status" "inventory"."shipment_status" DEFAULT 'TO_PICK' NOT NULL,
	"last_mismatch" jsonb,
	"carrier" text,
	"tracking_number" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inventory"."stock_count_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"count_id" uuid NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"operator_partner_id" uuid,
	"stock_id" uuid NOT NULL,
	"expected" integer NOT NULL,
	"counted" integer
);
--> statement-breakpoint
CREATE TABLE "inventory"."stock_counts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"warehouse_id" uuid NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"operator_partner_id" uuid,
	"status" "inventory"."count_status" DEFAULT 'OPEN' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"posted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "inventory"."transfer_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"transfer_id" uuid NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"batch_id" uuid,
	"from_location_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"received_quantity" integer,
	CONSTRAINT "transfer_lines_quantity_positive" CHECK ("inventory"."transfer_lines"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "inventory"."transfers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"from_warehouse_id" uuid NOT NULL,
	"to_warehouse_id" uuid NOT NULL,
	"from_operator_partner_id" uuid,
	"to_operator_partner_id" uuid,
	"status" "inventory"."transfer_status" DEFAULT 'CREATED' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "inventory"."locations" ADD CONSTRAINT "locations_warehouse_id_warehouses_id_fk" FOREIGN KEY ("warehouse_id") REFERENCES "inventory"."warehouses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inventory"."reservations" ADD CONSTRAINT "reservations_stock_id_stock_id_fk" FOREIGN KEY ("stock_id") REFERENCES "inventory"."stock"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inventory"."stock" ADD CONSTRAINT "stock_warehouse_id_warehouses_id_fk" FOREIGN KEY ("warehouse_id") REFERENCES "inventory"."warehouses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inventory"."stock" ADD CONSTRAINT "stock_location_id_locations_id_fk" FOREIGN KEY ("location_id") REFERENCES "inventory"."locations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inventory"."stock" ADD CONSTRAINT "stock_batch_id_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "inventory"."batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "batches_owner_product_lot_unique" ON "inventory"."batches" USING btree ("owner_partner_id","product_id","lot_number");--> statement-breakpoint
CREATE INDEX "batches_product_expiry_idx" ON "inventory"."batches" USING btree ("product_id","expires_on");--> statement-breakpoint
CREATE INDEX "allocations_backorders_idx" ON "inventory"."allocations" USING btree ("owner_partner_id","product_id") WHERE status = 'BACKORDERED';--> statement-breakpoint
CREATE INDEX "movements_slot_idx" ON "inventory"."movements" USING btree ("warehouse_id","product_id","at");--> statement-breakpoint
CREATE INDEX "reservations_line_idx" ON "inventory"."reservations" USING btree ("order_line_id");--> statement-breakpoint
CREATE INDEX "stock_product_idx" ON "inventory"."stock" USING btree ("owner_partner_id","product_id");--> statement-breakpoint
CREATE INDEX "shipments_warehouse_status_idx" ON "inventory"."shipments" USING btree ("warehouse_id","status");--> statement-breakpoint
CREATE INDEX "shipments_order_idx" ON "inventory"."shipments" USING btree ("order_id");