-- Parked events (hand-written; DESIGN.md §4, issue 17). An event whose handler keeps failing is
-- retried a bounded number of times, then parked here with its error, and the consumer's cursor
-- passes it. Later events of the same aggregate (entity type + id) are parked too, waiting
-- `behind` it, so that the aggregate's order holds; every other aggregate goes on. An admin retries
-- or discards a parked event (`redthread events retry|discard`); each action is audited in
-- events.parked_event_actions. Like the consumer cursors, only the worker sees these tables.
CREATE TABLE "events"."parked_events" (
	"consumer" text NOT NULL,
	"event_id" bigint NOT NULL,
	"partition" integer NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	-- Failed handler attempts (0 for an event that only waits behind another).
	"attempts" integer DEFAULT 0 NOT NULL,
	-- What the handler threw on its last attempt; NULL for an event that waits behind another.
	"error_message" text,
	"error_code" text,
	"error_stack" text,
	"parked_at" timestamp with time zone DEFAULT now() NOT NULL,
	-- The parked event of the same aggregate this one waits behind (the head of its queue); NULL: it
	-- is the head itself.
	"behind" bigint,
	CONSTRAINT "parked_events_consumer_event_id_pk" PRIMARY KEY ("consumer", "event_id"),
	CONSTRAINT "parked_events_event_id_event_log_id_fk" FOREIGN KEY ("event_id") REFERENCES "events"."event_log" ("id"),
	CONSTRAINT "parked_events_attempts_check" CHECK ("attempts" >= 0),
	CONSTRAINT "parked_events_not_behind_itself_check" CHECK ("behind" IS DISTINCT FROM "event_id"),
	-- A head carries the error it was parked with; an event waiting behind one has none of its own.
	CONSTRAINT "parked_events_head_error_check" CHECK (("behind" IS NULL) = ("error_message" IS NOT NULL))
);
--> statement-breakpoint
-- One head per aggregate and consumer: the queue of an aggregate is its head and those behind it.
CREATE UNIQUE INDEX "parked_events_head_idx" ON "events"."parked_events" ("consumer", "entity_type", "entity_id") WHERE "behind" IS NULL;
--> statement-breakpoint
-- A batch looks up the parked heads of its partition's aggregates.
CREATE INDEX "parked_events_partition_idx" ON "events"."parked_events" ("consumer", "partition", "entity_id");
--> statement-breakpoint
CREATE INDEX "parked_events_behind_idx" ON "events"."parked_events" ("consumer", "behind") WHERE "behind" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE "events"."parked_event_actions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"consumer" text NOT NULL,
	"event_id" bigint NOT NULL,
	"action" text NOT NULL,
	-- Who acted (the admin's name as given to the command) and why.
	"actor" text NOT NULL,
	"reason" text NOT NULL,
	-- released: the event (retry) and those waiting behind it were handled; failed_again: one of
	-- them failed again and heads the aggregate's queue now (error_message says why).
	"outcome" text NOT NULL,
	-- The events the handler ran successfully in this action, in order.
	"handled_event_ids" bigint[] DEFAULT '{}' NOT NULL,
	"error_message" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "parked_event_actions_event_id_event_log_id_fk" FOREIGN KEY ("event_id") REFERENCES "events"."event_log" ("id"),
	CONSTRAINT "parked_event_actions_action_check" CHECK ("action" IN ('retry', 'discard')),
	CONSTRAINT "parked_event_actions_outcome_check" CHECK ("outcome" IN ('released', 'failed_again')),
	CONSTRAINT "parked_event_actions_actor_check" CHECK (btrim("actor") <> ''),
	CONSTRAINT "parked_event_actions_reason_check" CHECK (btrim("reason") <> '')
);
--> statement-breakpoint
CREATE INDEX "parked_event_actions_event_idx" ON "events"."parked_event_actions" ("consumer", "event_id");
--> statement-breakpoint
-- The worker parks, retries and discards; the audit trail is append-only, for it as for everyone.
GRANT SELECT, INSERT, UPDATE, DELETE ON events.parked_events TO redthread_worker;
--> statement-breakpoint
GRANT SELECT, INSERT ON events.parked_event_actions TO redthread_worker;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE events.parked_event_actions_id_seq TO redthread_worker;
--> statement-breakpoint
ALTER TABLE events.parked_events ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE events.parked_events FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY parked_events_worker ON events.parked_events FOR ALL TO redthread_worker
  USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE events.parked_event_actions ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE events.parked_event_actions FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY parked_event_actions_worker_read ON events.parked_event_actions FOR SELECT TO redthread_worker
  USING (true);
--> statement-breakpoint
CREATE POLICY parked_event_actions_worker_append ON events.parked_event_actions FOR INSERT TO redthread_worker
  WITH CHECK (true);
