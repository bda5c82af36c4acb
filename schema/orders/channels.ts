import { jsonb, pgSchema, text, timestamp, unique, uuid, check } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/** `orders.*`: channels, customers, orders, lines, timeline, returns. Owned by the orders subgraph. */
export const ordersSchema = pgSchema('orders');

export const channelKind = ordersSchema.enum('channel_kind', ['SHOP', 'MARKETPLACE', 'OFFLINE', 'API']);

/** A custom order field a channel defines; orders of the channel are validated against these. */
export interface CustomFieldDefinition {
  key: string;
  label: string;
  type: 'TEXT' | 'NUMBER' | 'DATE' | 'ENUM';
  required: boolean;
  /** Allowed values of an ENUM field. */
  options?: string[];
}

/** A sales channel of a partner (a web shop, a marketplace account, a till, an API integration). */
export const channels = ordersSchema.table(
  'channels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id').notNull(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    kind: channelKind('kind').notNull(),
    customFields: jsonb('custom_fields').$type<CustomFieldDefinition[]>().notNull().default([]),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('channels_partner_code_unique').on(t.partnerId, t.code),
    unique('channels_id_partner_unique').on(t.id, t.partnerId),
    check('channels_code_format', sql`${t.code} ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$'`),
  ],
);

/** A postal address; `regionCode` drives allocation by delivery area. */
export interface Address {
  name?: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode?: string;
  /** ISO-3166-2 style region code, e.g. DE-BE. */
  regionCode: string;
  /** ISO-3166-1 alpha-2, e.g. DE. */
  country: string;
}

/** A buyer of a channel partner, with its addresses. */
export const customers = ordersSchema.table(
  'customers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id').notNull(),
    name: text('name').notNull(),
    email: text('email'),
    phone: text('phone'),
    addresses: jsonb('addresses').$type<Address[]>().notNull().default([]),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('customers_id_partner_unique').on(t.id, t.partnerId)],
);
