import type { ResultOf, CreateChannelInput, AddressInput, CreateCustomerInput } from '../generated/resolvers';
import { asc, eq, ilike, inArray } from 'drizzle-orm';
import { channels, customers, type Address, type CustomFieldDefinition } from '@redthread/schema';
import {
  escapeLike,
  isUuid,
  keysetPage,
  type Connection,
  type Identity,
  type PageArgs,
  type Tx,
} from '@redthread/kit';
import { channelCodeTaken, invalidInput, type Failure } from '../errors';

/** The SDL's input types, generated (`npm run codegen`). */
export type { CreateChannelInput, AddressInput, CreateCustomerInput };

export type ChannelRow = typeof channels.$inferSelect;
export type CustomerRow = typeof customers.$inferSelect;




const FIELD_KEY = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
const CHANNEL_CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** Adds a sales channel with validated custom field definitions. */
export async function createChannel(tx: Tx, identity: Identity, input: CreateChannelInput): Promise<ResultOf<'ChannelResult'>> {
  const code = input.code.trim();
  if (!CHANNEL_CODE.test(code)) return invalidInput('code', 'The channel code must be 1–32 letters, digits, _ or -.');
  const name = input.name.trim();
  if (!name || name.length > 200) return invalidInput('name', 'The channel name must be 1–200 characters.');
  const definitions: CustomFieldDefinition[] = [];
  for (const [index, field] of (input.customFields ?? []).entries()) {
    const path = `customFields[${index}]`;
    if (!FIELD_KEY.test(field.key)) return invalidInput(`${path}.key`, 'A field key is 1–40 letters, digits, _ or -, starting with a letter.');
    if (definitions.some((d) => d.key === field.key)) return invalidInput(`${path}.key`, `The field key "${field.key}" is defined twice.`);
    if (!field.label.trim()) return invalidInput(`${path}.label`, 'A field needs a label.');
    const options = field.options?.map((o) => o.trim()).filter(Boolean) ?? [];
    if (field.type === 'ENUM' && options.length === 0) return invalidInput(`${path}.options`, 'An ENUM field needs at least one option.');
    definitions.push({
      key: field.key,
      label: field.label.trim(),
      type: field.type,
      required: Boolean(field.required),
      ...(field.type === 'ENUM' ? { options } : {}),
    });
  }
  const [created] = await tx
    .insert(channels)
    .values({ partnerId: identity.partnerId, code, name, kind: input.kind, customFields: definitions })
    .onConflictDoNothing({ target: [channels.partnerId, channels.code] })
    .returning();
  return created ?? channelCodeTaken(code);
}

/** The caller's channels by code. */
export async function listChannels(tx: Tx, identity: Identity): Promise<ChannelRow[]> {
  return tx.select().from(channels).where(eq(channels.partnerId, identity.partnerId)).orderBy(asc(channels.code));
}

/** Channels by id (row-level security: the caller's own). */
export async function channelsByIds(tx: Tx, ids: readonly string[]): Promise<ChannelRow[]> {
  const wellFormed = ids.filter(isUuid);
  return wellFormed.length ? tx.select().from(channels).where(inArray(channels.id, wellFormed)) : [];
}

/** Validates and normalises an address; a failure names the field under `path`. */
export function normaliseAddress(address: AddressInput, path: string): Address | Failure<'InvalidOrderInput'> {
  const line1 = address.line1.trim();
  const city = address.city.trim();
  const regionCode = address.regionCode.trim().toUpperCase();
  const country = address.country.trim().toUpperCase();
  if (!line1) return invalidInput(`${path}.line1`, 'The address needs a first line.');
  if (!city) return invalidInput(`${path}.city`, 'The address needs a city.');
  if (!/^[A-Z]{2}$/.test(country)) return invalidInput(`${path}.country`, 'The country must be an ISO-3166 alpha-2 code such as DE.');
  if (!/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/.test(regionCode)) {
    return invalidInput(`${path}.regionCode`, 'The region code must look like DE-BE (country, dash, region).');
  }
  return {
    ...(address.name?.trim() ? { name: address.name.trim() } : {}),
    line1,
    ...(address.line2?.trim() ? { line2: address.line2.trim() } : {}),
    city,
    ...(address.postalCode?.trim() ? { postalCode: address.postalCode.trim() } : {}),
    regionCode,
    country,
  };
}

/** Adds a customer with validated addresses. */
export async function createCustomer(tx: Tx, identity: Identity, input: CreateCustomerInput): Promise<ResultOf<'CustomerResult'>> {
  const name = input.name.trim();
  if (!name || name.length > 200) return invalidInput('name', 'The customer name must be 1–200 characters.');
  const email = input.email?.trim() || null;
  if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return invalidInput('email', 'The email address is not valid.');
  const addresses: Address[] = [];
  for (const [index, address] of (input.addresses ?? []).entries()) {
    const normalised = normaliseAddress(address, `addresses[${index}]`);
    if ('errorCode' in normalised) return normalised;
    addresses.push(normalised);
  }
  const [created] = await tx
    .insert(customers)
    .values({ partnerId: identity.partnerId, name, email, phone: input.phone?.trim() || null, addresses })
    .returning();
  return created!;
}

/** Customers by id (the caller's own). */
export async function customersByIds(tx: Tx, ids: readonly string[]): Promise<CustomerRow[]> {
  const wellFormed = ids.filter(isUuid);
  return wellFormed.length ? tx.select().from(customers).where(inArray(customers.id, wellFormed)) : [];
}

/** The caller's customers by name (ties by id), as a connection; one statement per page. */
export async function listCustomers(
  tx: Tx,
  identity: Identity,
  search: string | null | undefined,
  args: PageArgs,
): Promise<Connection<CustomerRow>> {
  const page = keysetPage('customers', args, [
    { column: customers.name, type: 'text' },
    { column: customers.id, type: 'uuid' },
  ]);
  const conditions = [eq(customers.partnerId, identity.partnerId)];
  if (search?.trim()) conditions.push(ilike(customers.name, `%${escapeLike(search.trim())}%`));
  return page.rowsOf(tx, customers, ...conditions);
}
