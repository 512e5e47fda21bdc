# syntax=docker/dockerfile:1
# Gatehouse container image.   docker build -t gatehouse:0.1.0 .
#
# build:   npm ci (dev dependencies, for tsc), then `npm pack` (prepack runs `npm run build`): the tarball is exactly
#          what npm users install.
# deps:    the tarball unpacked, production dependencies only, pinned by the repository's package-lock.json, no
#          install scripts.
# runtime: distroless Node.js 20 (no shell, no package manager), uid 65532, nothing writable needed: runs with
#          readOnlyRootFilesystem and no /tmp. `node dist/src/cli.js serve` is PID 1 and handles SIGTERM/SIGINT
#          itself (graceful drain, server.shutdownGracePeriod) and SIGHUP (reload); it starts no child processes
#          except cluster workers (server.workers), which it waits for.
# What the CI checks without a Docker engine: test/package/packed-install.test.ts runs this same production-only
# install as a non-root user with the whole filesystem read-only (README: "Container image").

ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md ./
COPY bin ./bin
COPY src ./src
COPY providers ./providers
COPY examples ./examples
RUN npm pack --pack-destination /tmp --loglevel=error && mv /tmp/gatehouse-*.tgz /tmp/gatehouse.tgz

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=build /tmp/gatehouse.tgz /tmp/gatehouse.tgz
COPY package-lock.json ./
RUN tar -xzf /tmp/gatehouse.tgz --strip-components=1 \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -f package-lock.json

FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="gatehouse" \
      org.opencontainers.image.description="Forward-auth service for Traefik, Caddy and nginx with OIDC/Keycloak login" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.documentation="README.md" \
      org.opencontainers.image.base.name="gcr.io/distroless/nodejs20-debian12:nonroot"
WORKDIR /app
COPY --from=deps --chown=0:0 /app /app
ENV NODE_ENV=production
# Numeric, so Kubernetes can verify runAsNonRoot.
USER 65532:65532
EXPOSE 4180 9180
ENTRYPOINT ["/nodejs/bin/node", "dist/src/cli.js"]
CMD ["serve", "--config", "/etc/gatehouse/gatehouse.yaml"]
