# aeraki: the control plane and the proxy in one image (`aeraki control-plane …`, `aeraki proxy …`).
# Build: docker build -t aeraki:0.1.0 .    Manifests: aeraki install --image aeraki:0.1.0
#
# Stage 1 compiles (the build also generates the tests' Thrift code, hence thrift-compiler) and
# keeps only the production dependencies; stage 2 holds nothing but what runs, as a non-root user.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends thrift-compiler \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# jemalloc: bin/aeraki preloads it for the proxy, which then gives memory back after a burst.
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libjemalloc2 \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/proto ./proto
COPY --from=build /src/bin ./bin
# The uid the Kubernetes manifests run as (runAsNonRoot needs a numeric user).
USER 10001:10001
# 15010 xDS, 15011 control-plane admin, 15017 admission webhook, 15000 proxy admin.
EXPOSE 15010 15011 15017 15000
ENTRYPOINT ["/app/bin/aeraki"]
CMD ["--help"]
