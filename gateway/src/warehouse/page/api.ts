/**
 * The warehouse screen's GraphQL API: the documents it sends, the shapes it reads, and a small
 * HTTP client for queries and mutations (subscriptions are in ./live.ts). Everything goes to the
 * gateway that served the page, `/graphql`, with the signed-in token.
 */

/** The gateway's GraphQL endpoint, on the page's own origin. */
export const GRAPHQL_PATH = '/graphql';

/** A warehouse the caller owns or operates. */
export interface Warehouse {
  id: string;
  code: string;
  name: string;
  kind: 'OWN' | 'THIRD_PARTY';
}

/** One stock slot (warehouse, location, product, batch). `product` is null for a 3PL operator. */
export interface StockLevel {
  location: { id: string; code: string };
  productId: string;
  product: { name: string; skuCode: string } | null;
  batch: { id: string; lotNumber: string; expiresOn: string | null } | null;
  onHand: number;
  reserved: number;
  available: number;
}

/** One pick-list line of a shipment. */
export interface ShipmentLine {
  productId: string;
  skuCode: string;
  barcode: string | null;
  /** The product's name (a 3PL operator sees it too); null when it cannot be read. */
  name: string | null;
  location: { code: string };
  batch: { lotNumber: string } | null;
  quantity: number;
}

/** A difference found by an outbound inspection. */
export interface InspectionDifference {
  code: string;
  expected: number;
  scanned: number;
  kind: 'MISSING' | 'EXTRA' | 'UNKNOWN' | string;
}

/**
 * The order behind a shipment, as far as the caller may read it: null for a 3PL operator, who
 * does not see the owner's orders. `externalNumber` is the channel's order number (none for a
 * drop-ship order).
 */
export interface ShipmentOrder {
  id: string;
  externalNumber: string | null;
  shipTo: { city: string; country: string } | null;
}

/** An outbound shipment as the screen shows it. */
export interface Shipment {
  id: string;
  status: 'TO_PICK' | 'READY' | 'DISPATCHED' | 'CANCELLED';
  orderId: string;
  order: ShipmentOrder | null;
  lines: ShipmentLine[];
  lastMismatch: InspectionDifference[] | null;
  carrier: string | null;
  trackingNumber: string | null;
  createdAt: string;
}

/** One committed stock movement (subscription `stockChanged`). */
export interface StockChange {
  cursor: string;
  kind: string;
  delta: number;
  productId: string;
  level: StockLevel | null;
}

/** One committed change to the shipment queue (subscription `shipmentQueueChanged`). */
export interface ShipmentQueueChange {
  cursor: string;
  shipmentId: string;
  status: Shipment['status'];
  shipment: Shipment | null;
}

/** The result of `dispatchShipment`: the shipment or a typed failure. */
export type ShipmentResult = ({ __typename: 'Shipment' } & Shipment) | { __typename: string; errorCode: string; message: string };

/** The result of `inspectShipment`: the inspection (passed or not) or a typed failure. */
export type InspectionResult =
  | { __typename: 'Inspection'; passed: boolean; differences: InspectionDifference[]; shipment: Shipment }
  | { __typename: string; errorCode: string; message: string };

const LEVEL_FIELDS = 'location { id code } productId product { name skuCode } batch { id lotNumber expiresOn } onHand reserved available';
// Only nullable fields of Order: an order the caller may not read is a plain null, never an error.
const SHIPMENT_FIELDS = `id status orderId createdAt carrier trackingNumber
  order { id externalNumber shipTo { city country } }
  lines { productId skuCode barcode name location { code } batch { lotNumber } quantity }
  lastMismatch { code expected scanned kind }`;
const SHIPMENT_RESULT = `__typename ... on Shipment { ${SHIPMENT_FIELDS} } ... on InventoryError { errorCode message }`;
const INSPECTION_RESULT = `__typename ... on Inspection { passed differences { code expected scanned kind } shipment { ${SHIPMENT_FIELDS} } }
  ... on InventoryError { errorCode message }`;

const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';

/** One page of a list (a Relay connection), as the documents below name it: `page`. */
export interface Page<Node> {
  page: { edges: { node: Node }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/** The documents the screen sends. */
export const DOCUMENTS = {
  signIn: `query WarehouseSignIn { me { code name } warehouses { id code name kind } }`,
  /** One page of the warehouse's stock slots (the board loads every page). */
  stockLevels: `query WarehouseStock($warehouseId: ID!, $first: Int, $after: String) {
    page: stockLevels(filter: { warehouseId: $warehouseId }, first: $first, after: $after) { edges { node { ${LEVEL_FIELDS} } } ${PAGE_INFO} }
  }`,
  /** One page of the warehouse's shipment queue in `status`, newest first. */
  queue: `query WarehouseQueue($warehouseId: ID!, $status: [ShipmentStatus!], $first: Int, $after: String) {
    page: shipments(filter: { warehouseId: $warehouseId, status: $status }, first: $first, after: $after) { edges { node { ${SHIPMENT_FIELDS} } } ${PAGE_INFO} }
  }`,
  shipment: `query WarehouseShipment($id: ID!) { shipment(id: $id) { ${SHIPMENT_FIELDS} } }`,
  inspect: `mutation InspectShipment($input: InspectShipmentInput!) { result: inspectShipment(input: $input) { ${INSPECTION_RESULT} } }`,
  dispatch: `mutation DispatchShipment($input: DispatchShipmentInput!) { result: dispatchShipment(input: $input) { ${SHIPMENT_RESULT} } }`,
  stockChanged: `subscription WarehouseStockChanged($warehouseId: ID!, $after: String) {
    stockChanged(filter: { warehouseId: $warehouseId }, after: $after) { cursor kind delta productId level { ${LEVEL_FIELDS} } }
  }`,
  shipmentQueueChanged: `subscription WarehouseQueueChanged($warehouseId: ID!, $after: String) {
    shipmentQueueChanged(warehouseId: $warehouseId, after: $after) { cursor shipmentId status shipment { ${SHIPMENT_FIELDS} } }
  }`,
} as const;

/** The token was refused or has expired: sign in again. */
export class SignedOutError extends Error {
  override readonly name = 'SignedOutError';
}

/** A GraphQL or transport error, with a message fit for the screen. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
}

interface GraphQLBody<Data> {
  data?: Data | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Sends one query or mutation over HTTP POST with `token`; throws {@link SignedOutError} or {@link ApiError}. */
export async function request<Data>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<Data> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json;q=0.9', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('The gateway cannot be reached. Check the network and try again.');
  }
  let body: GraphQLBody<Data>;
  try {
    body = (await response.json()) as GraphQLBody<Data>;
  } catch {
    throw new ApiError(`The gateway answered ${response.status} without a GraphQL response.`);
  }
  const errors = body.errors ?? [];
  if (response.status === 401 || errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) {
    throw new SignedOutError(errors[0]?.message ?? 'The token was refused.');
  }
  if (errors.length || !body.data) {
    throw new ApiError(errors.map((e) => e.message).join('; ') || `The gateway answered ${response.status}.`);
  }
  return body.data;
}

/** The largest page the API serves. */
export const PAGE_SIZE = 100;

/**
 * Every node of a paged list: sends `document` (which names its connection `page` and takes
 * `$first` and `$after`) page after page until the last. Lists have no silent cap, so a busy
 * warehouse's whole queue and stock arrive, a page per request.
 */
export async function requestAll<Node>(token: string, document: string, variables: Record<string, unknown> = {}): Promise<Node[]> {
  const nodes: Node[] = [];
  let after: string | null = null;
  for (;;) {
    const data: Page<Node> = await request<Page<Node>>(token, document, { ...variables, first: PAGE_SIZE, after });
    nodes.push(...data.page.edges.map((edge) => edge.node));
    if (!data.page.pageInfo.hasNextPage || !data.page.pageInfo.endCursor) return nodes;
    after = data.page.pageInfo.endCursor;
  }
}

/** The development tokens the gateway offers GraphiQL (404, so none, outside development). */
export interface DevToken {
  partnerCode: string;
  partnerName?: string;
  token: string;
}

/** The demo partners' tokens when the gateway offers them (development only), else none. */
export async function loadDevTokens(): Promise<DevToken[]> {
  try {
    const response = await fetch('/graphiql/dev-tokens', { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (!response.ok) return [];
    const body = (await response.json()) as { tokens?: DevToken[] };
    return Array.isArray(body.tokens) ? body.tokens : [];
  } catch {
    return [];
  }
}

/**
 * What the screen acts with: an access token and, after a password sign-in, the refresh token
 * that renews it before it expires (`expiresAt`, ms since the epoch).
 */
export interface Credentials {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: number;
}

/** A refused sign-in; `partners` lists the choices when the user belongs to several partners. */
export class SignInError extends Error {
  override readonly name = 'SignInError';
  constructor(
    message: string,
    readonly code: string,
    readonly partners: string[] = [],
  ) {
    super(message);
  }
}

async function postAuth(path: string, body: Record<string, unknown>): Promise<Credentials> {
  let response: Response;
  try {
    response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError('The gateway cannot be reached. Check the network and try again.');
  }
  const answer = (await response.json().catch(() => ({}))) as {
    accessToken?: string;
    refreshToken?: string;
    expiresIn?: number;
    error?: { code: string; message: string; partners?: string[] };
  };
  if (!response.ok || !answer.accessToken) {
    throw new SignInError(answer.error?.message ?? `Sign-in answered ${response.status}.`, answer.error?.code ?? 'UNKNOWN', answer.error?.partners ?? []);
  }
  return {
    accessToken: answer.accessToken,
    ...(answer.refreshToken ? { refreshToken: answer.refreshToken } : {}),
    ...(answer.expiresIn ? { expiresAt: Date.now() + answer.expiresIn * 1000 } : {}),
  };
}

/** Email and password sign-in (`POST /auth/sign-in`); `partner` when the user belongs to several. */
export function passwordSignIn(email: string, password: string, partner?: string): Promise<Credentials> {
  return postAuth('/auth/sign-in', { email, password, ...(partner ? { partner } : {}) });
}

/** Spends the refresh token for a new pair (`POST /auth/refresh`). */
export function renewCredentials(refreshToken: string): Promise<Credentials> {
  return postAuth('/auth/refresh', { refreshToken });
}

/** Ends the session behind a refresh token (`POST /auth/sign-out`); failures are ignored. */
export async function endSession(refreshToken: string): Promise<void> {
  await fetch('/auth/sign-out', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) }).catch(() => undefined);
}
