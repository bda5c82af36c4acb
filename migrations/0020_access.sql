CREATE TYPE "catalog"."invitation_kind" AS ENUM('PARTNER', 'USER');--> statement-breakpoint
CREATE TABLE "catalog"."invitations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"issuer_partner_id" uuid NOT NULL,
	"kind" "catalog"."invitation_kind" NOT NULL,
	"email" text NOT NULL,
	"company_name" text,
	"partner_kinds" "catalog"."partner_kind"[],
	"roles" text[],
	"proposal_product_id" uuid,
	"proposal_side" text,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"redeemed_at" timestamp with time zone,
	"redeemed_by_user_id" uuid,
	"redeemed_partner_id" uuid,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "invitations_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "invitations_proposal_side" CHECK ("catalog"."invitations"."proposal_side" is null or "catalog"."invitations"."proposal_side" in ('DOWNSTREAM', 'UPSTREAM')),
	CONSTRAINT "invitations_proposal_partner_only" CHECK ("catalog"."invitations"."proposal_product_id" is null or "catalog"."invitations"."kind" = 'PARTNER')
);
--> statement-breakpoint
CREATE TABLE "catalog"."memberships" (
	"partner_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"roles" text[] NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "memberships_partner_id_user_id_pk" PRIMARY KEY("partner_id","user_id"),
	CONSTRAINT "memberships_roles_not_empty" CHECK (cardinality("catalog"."memberships"."roles") > 0)
);
--> statement-breakpoint
CREATE TABLE "catalog"."refresh_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"spent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "catalog"."sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"partner_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_reason" text
);
--> statement-breakpoint
CREATE TABLE "catalog"."sign_in_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"succeeded" boolean NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog"."users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"display_name" text NOT NULL,
	"password_hash" text,
	"external_subject" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"password_changed_at" timestamp with time zone,
	CONSTRAINT "users_email_unique" UNIQUE("email"),
	CONSTRAINT "users_external_subject_unique" UNIQUE("external_subject"),
	CONSTRAINT "users_email_lower" CHECK ("catalog"."users"."email" = lower("catalog"."users"."email") and position('@' in "catalog"."users"."email") > 1)
);
--> statement-breakpoint
ALTER TABLE "catalog"."invitations" ADD CONSTRAINT "invitations_issuer_partner_id_partners_id_fk" FOREIGN KEY ("issuer_partner_id") REFERENCES "catalog"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."invitations" ADD CONSTRAINT "invitations_proposal_product_id_products_id_fk" FOREIGN KEY ("proposal_product_id") REFERENCES "catalog"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."invitations" ADD CONSTRAINT "invitations_redeemed_by_user_id_users_id_fk" FOREIGN KEY ("redeemed_by_user_id") REFERENCES "catalog"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."invitations" ADD CONSTRAINT "invitations_redeemed_partner_id_partners_id_fk" FOREIGN KEY ("redeemed_partner_id") REFERENCES "catalog"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."memberships" ADD CONSTRAINT "memberships_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "catalog"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."memberships" ADD CONSTRAINT "memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "catalog"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."refresh_tokens" ADD CONSTRAINT "refresh_tokens_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "catalog"."sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "catalog"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."sessions" ADD CONSTRAINT "sessions_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "catalog"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "invitations_issuer_idx" ON "catalog"."invitations" USING btree ("issuer_partner_id","created_at");--> statement-breakpoint
CREATE INDEX "memberships_user_idx" ON "catalog"."memberships" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "refresh_tokens_session_idx" ON "catalog"."refresh_tokens" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "catalog"."sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "sign_in_attempts_email_idx" ON "catalog"."sign_in_attempts" USING btree ("email","at");