# syntax=docker/dockerfile:1
# eckd backend: the node's Automerge document and its revisions (exactly 1 per node).
# Build from the repository root (deploy/README.md):
#   docker build -f deploy/docker/backend.Dockerfile -t eckd-backend .
# Configured by environment variables (README, "Configuration"); its ops
# listener (/livez, /readyz, /health, /metrics) is on port 2382.
ARG NODE_IMAGE=node:22-bookworm-slim

# 1. The workspace with every dependency, and this app's bundle.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx nx run backend:build --output-style=static \
 && for f in apps/*/package.json libs/*/package.json tools/*/package.json; do \
      mkdir -p "/manifests/$(dirname "$f")" && cp "$f" "/manifests/$f"; \
    done

# 2. This app's production dependencies only (the workspace libs are
#    inlined in its bundle; npm needs every workspace's package.json).
FROM ${NODE_IMAGE} AS deps
WORKDIR /eckd
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /manifests/ ./
RUN npm ci --omit=dev --workspace=@eckd/backend --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# 3. The image: the bundle, its dependencies, and the .proto files the
#    bundle loads at start-up; owned by root, run as the unprivileged node.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    ECKD_LISTEN_METRICS_URLS=http://0.0.0.0:2382
WORKDIR /eckd
COPY --from=deps /eckd/ ./
COPY --from=build /src/apps/backend/dist/ ./apps/backend/dist/
COPY --from=build /src/libs/etcd-proto/proto/ ./libs/etcd-proto/proto/
COPY --from=build /src/libs/change-codec/proto/ ./libs/change-codec/proto/
USER node
EXPOSE 2382
# Healthy = ready to serve (compose's depends_on waits for it).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:2382/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--enable-source-maps", "apps/backend/dist/main.js"]

