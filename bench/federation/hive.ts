/**
 * Hive Gateway for bench/federation: the runtime of Hive Gateway 2.15 (`@graphql-hive/gateway-runtime`,
 * with its HTTP transport) on node:http, in a process of its own, serving the supergraph Redthread's
 * gateway serves and calling the same subgraph processes.
 *
 * The subgraphs answer only gateway-signed identities, so Hive gets what Redthread's gateway does
 * for them and nothing more: the client's token verified once per request (the same verifier, with
 * its cache) and the signed identity for each subgraph (the same signer, one signature per caller
 * and 30 s). Everything else is Hive's defaults, except, unless `deduplicate` is set, the
 * coalescing of identical in-flight subgraph requests (`deduplicateInflightRequests: false`): its
 * key is the subgraph request as the executor built it, before the identity is added, so under
 * load it answers one client from another's subgraph request.
 *
 * Configuration: JSON in FEDERATION_HIVE ({ port, supergraphSdl, subgraphs: [{ name, url }],
 * jwtSecret, internalSecret, deduplicate }). Prints `{"ready":true,"url":...}` when it listens.
 */
import http from 'node:http';
import { createGatewayRuntime, type GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError } from 'graphql';
import { InternalIdentitySigner, secretKey, type Identity } from '@redthread/kit';
import { clientTokenVerifier } from '@redthread/gateway/auth';

interface HiveConfig {
  port: number;
  supergraphSdl: string;
  subgraphs: { name: string; url: string }[];
  jwtSecret: string;
  internalSecret: string;
  deduplicate: boolean;
}

const config = JSON.parse(process.env['FEDERATION_HIVE'] ?? '{}') as HiveConfig;
const verifyClientToken = clientTokenVerifier({ jwtSecret: config.jwtSecret });
const secret = secretKey(config.internalSecret);
const signers = new Map(config.subgraphs.map(({ name, url }) => [url, new InternalIdentitySigner(name, secret)]));

const signedIdentity: GatewayPlugin<{ identity: Identity }> = {
  async onContextBuilding({ context, extendContext }) {
    try {
      extendContext({ identity: await verifyClientToken(context.request.headers.get('authorization') ?? undefined) });
    } catch (error) {
      throw new GraphQLError(error instanceof Error ? error.message : 'unauthenticated', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
  },
  async onFetch({ url, options, setOptions, context }) {
    const signer = signers.get(url);
    const identity = 'identity' in context ? context.identity : undefined;
    if (!signer || !identity) return;
    setOptions({ ...options, headers: { ...options.headers, authorization: `Bearer ${await signer.sign(identity)}` } });
  },
};

const gateway = createGatewayRuntime({
  supergraph: config.supergraphSdl,
  logging: 'warn',
  ...(config.deduplicate ? {} : { transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } } }),
  plugins: () => [signedIdentity],
});

const server = http.createServer(gateway);
server.keepAliveTimeout = 60_000;
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, url: `http://127.0.0.1:${config.port}${gateway.graphqlEndpoint}` })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void Promise.resolve(gateway.dispose()).finally(() => process.exit(0));
});
