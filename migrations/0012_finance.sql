CREATE SCHEMA "finance";
--> statement-breakpoint
CREATE TYPE "finance"."billing_period" AS ENUM('WEEKLY', 'MONTHLY', 'CUSTOM');--> statement-breakpoint
CREATE TYPE "finance"."commission_kind" AS ENUM('PERCENT', 'FIXED');--> statement-breakpoint
CREATE TYPE "finance"."cost_entry_kind" AS ENUM('RECEIPT', 'COST_OF_GOODS');--> statement-breakpoint
CREATE TYPE "finance"."customer_entry_kind" AS ENUM('CHARGE', 'PAYMENT');--> statement-breakpoint
CREATE TYPE "finance"."ledger_kind" AS ENUM('INVOICE', 'CREDIT_NOTE', 'COMMISSION', 'PAYMENT', 'ADJUSTMENT');--> statement-breakpoint
CREATE TYPE "finance"."statement_line_status" AS ENUM('OPEN', 'DISPUTED', 'RESOLVED');--> statement-breakpoint
CREATE TYPE "finance"."statement_status" AS ENUM('DRAFT', 'ISSUED', 'CONFIRMED', 'DISPUTED', 'SETTLED');--> statement-breakpoint
CREATE TABLE "finance"."commission_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"payer_partner_id" uuid NOT NULL,
	"earner_partner_id" uuid,
	"product_id" uuid,
	"kind" "finance"."commission_kind" NOT NULL,
	"value" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "commission_rules_scope_unique" UNIQUE NULLS NOT DISTINCT("payer_partner_id","earner_partner_id","product_id"),
	CONSTRAINT "commission_rules_value" CHECK ("finance"."commission_rules"."value" >= 0 and ("finance"."commission_rules"."kind" <> 'PERCENT' or "finance"."commission_rules"."value" <= 10000))
);
--> statement-breakpoint
CREATE TABLE "finance"."cost_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"kind" "finance"."cost_entry_kind" NOT NULL,
	"units" integer NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"order_id" uuid,
	"order_line_id" uuid,
	"warehouse_id" uuid,
	"source_event_id" bigint NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finance"."credit_files" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"limit_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credit_files_limit" CHECK ("finance"."credit_files"."limit_minor" >= 0)
);
--> statement-breakpoint
CREATE TABLE "finance"."customer_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_partner_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"kind" "finance"."customer_entry_kind" NOT NULL,
	"signed_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"reference" text,
	"source_event_id" bigint,
	"order_line_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finance"."ledger_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creditor_partner_id" uuid NOT NULL,
	"debtor_partner_id" uuid NOT NULL,
	"kind" "finance"."ledger_kind" NOT NULL,
	"amount_minor" bigint NOT NULL,
	"signed_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"description" text NOT NULL,
	"order_id" uuid,
	"order_line_id" uuid,
	"statement_id" uuid,
	"source_event_id" bigint,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_entries_amount_positive" CHECK ("finance"."ledger_entries"."amount_minor" > 0),
	CONSTRAINT "ledger_entries_sign" CHECK (("finance"."ledger_entries"."kind" in ('INVOICE', 'COMMISSION') and "finance"."ledger_entries"."signed_minor" = "finance"."ledger_entries"."amount_minor") or ("finance"."ledger_entries"."kind" in ('CREDIT_NOTE', 'PAYMENT', 'ADJUSTMENT') and "finance"."ledger_entries"."signed_minor" = -"finance"."ledger_entries"."amount_minor")),
	CONSTRAINT "ledger_entries_two_partners" CHECK ("finance"."ledger_entries"."creditor_partner_id" <> "finance"."ledger_entries"."debtor_partner_id")
);
--> statement-breakpoint
CREATE TABLE "finance"."product_costs" (
	"owner_partner_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"units" integer DEFAULT 0 NOT NULL,
	"value_minor" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "product_costs_owner_product_unique" UNIQUE("owner_partner_id","product_id"),
	CONSTRAINT "product_costs_units" CHECK ("finance"."product_costs"."units" >= 0)
);
--> statement-breakpoint
CREATE TABLE "finance"."settlement_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creditor_partner_id" uuid NOT NULL,
	"debtor_partner_id" uuid NOT NULL,
	"period" "finance"."billing_period" NOT NULL,
	"period_value" integer NOT NULL,
	"anchor_date" date,
	"payment_terms_days" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "settlement_rules_pair_unique" UNIQUE("creditor_partner_id","debtor_partner_id"),
	CONSTRAINT "settlement_rules_value" CHECK (("finance"."settlement_rules"."period" = 'WEEKLY' and "finance"."settlement_rules"."period_value" between 1 and 7) or ("finance"."settlement_rules"."period" = 'MONTHLY' and "finance"."settlement_rules"."period_value" between 1 and 28) or ("finance"."settlement_rules"."period" = 'CUSTOM' and "finance"."settlement_rules"."period_value" between 1 and 366 and "finance"."settlement_rules"."anchor_date" is not null)),
	CONSTRAINT "settlement_rules_terms" CHECK ("finance"."settlement_rules"."payment_terms_days" between 0 and 365)
);
--> statement-breakpoint
CREATE TABLE "finance"."statement_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"statement_id" uuid NOT NULL,
	"creditor_partner_id" uuid NOT NULL,
	"debtor_partner_id" uuid NOT NULL,
	"entry_id" uuid NOT NULL,
	"status" "finance"."statement_line_status" DEFAULT 'OPEN' NOT NULL,
	"dispute_reason" text,
	"resolution" text
);
--> statement-breakpoint
CREATE TABLE "finance"."statements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creditor_partner_id" uuid NOT NULL,
	"debtor_partner_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"period_start" date NOT NULL,
	"period_end" date NOT NULL,
	"opening_minor" bigint NOT NULL,
	"closing_minor" bigint NOT NULL,
	"due_date" date NOT NULL,
	"status" "finance"."statement_status" DEFAULT 'DRAFT' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "statements_pair_period_unique" UNIQUE("creditor_partner_id","debtor_partner_id","currency","period_start"),
	CONSTRAINT "statements_period" CHECK ("finance"."statements"."period_end" > "finance"."statements"."period_start")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "cost_entries_source_unique" ON "finance"."cost_entries" USING btree ("source_event_id","product_id","kind","order_line_id");--> statement-breakpoint
CREATE INDEX "cost_entries_owner_idx" ON "finance"."cost_entries" USING btree ("owner_partner_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "customer_entries_source_unique" ON "finance"."customer_entries" USING btree ("source_event_id","order_line_id");--> statement-breakpoint
CREATE INDEX "customer_entries_customer_idx" ON "finance"."customer_entries" USING btree ("customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_source_unique" ON "finance"."ledger_entries" USING btree ("source_event_id","kind","order_line_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_pair_idx" ON "finance"."ledger_entries" USING btree ("creditor_partner_id","debtor_partner_id","occurred_at");--> statement-breakpoint
CREATE INDEX "ledger_entries_debtor_idx" ON "finance"."ledger_entries" USING btree ("debtor_partner_id","occurred_at");