# syntax=docker/dockerfile:1
#
# Inkpost images: one build stage, one small runtime image per service, chosen with --target:
#
#   docker build --target api            -t inkpost-api .
#   docker build --target outline-worker -t inkpost-outline-worker .
#   docker build --target image-worker   -t inkpost-image-worker .
#
# Build and runtime use the same glibc base (Debian bookworm): pnpm installs the prebuilt @napi-rs/canvas binary
# matching the build platform's libc, so the runtime must be glibc too (no Alpine/musl).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------------- build
FROM ${NODE_IMAGE} AS build
ARG PNPM_VERSION=9.15.9
# pnpm from npm rather than corepack: no corepack signature keys involved, same pinned version as packageManager.
RUN npm install -g --no-update-notifier "pnpm@${PNPM_VERSION}" && pnpm --version
# CI: non-interactive pnpm. One fixed store, so fetch, install and deploy all share it.
ENV CI=true \
    npm_config_store_dir=/pnpm/store
WORKDIR /repo

# 1. Every package of the lockfile into pnpm's store. Depends on the lockfile alone, so this layer (the slow,
#    networked part) is reused until pnpm-lock.yaml changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch

# 2. Sources; install from the store (no network), compile every package's dist/.
COPY . .
RUN pnpm install --frozen-lockfile --offline
RUN pnpm build

# 3. One self-contained production directory per service: its dist, package.json and a node_modules holding only
#    production dependencies, with the workspace packages it uses (@inkpost/shared, core, providers) copied in
#    ("injected"), dist included. pnpm 9.15's deploy needs no inject-workspace-packages setting (that, or --legacy,
#    is pnpm 10's). It re-resolves the injected packages' dependencies, preferring the lockfile's versions, and
#    that needs registry metadata, so --prefer-offline (tarballs come from the store) and not --offline.
RUN set -eu; \
    for svc in api outline-worker image-worker; do \
      pnpm --filter "@inkpost/${svc}" deploy --prod --prefer-offline "/out/${svc}"; \
    done

# 4. Trim what the running services never read: sources, tests and TypeScript build files of the service and of
#    the injected workspace packages (dist and package.json stay: the packages export ./dist/index.js).
#    The text-card renderer registers only two weights of Noto Sans SC (packages/providers/src/image/text-card.ts:
#    400Regular and 700Bold); the other seven weights are ~11 MB each. Keep FONT_WEIGHTS in step with that file.
ARG FONT_WEIGHTS="400Regular 700Bold"
RUN set -eu; \
    for svc in api outline-worker image-worker; do \
      for dir in "/out/${svc}" /out/${svc}/node_modules/.pnpm/@inkpost+*/node_modules/@inkpost/*; do \
        rm -rf "${dir}/src" "${dir}/test" "${dir}"/tsconfig*.json "${dir}"/dist/*.tsbuildinfo "${dir}"/dist/.tsbuildinfo; \
      done; \
      for fonts in /out/${svc}/node_modules/.pnpm/@expo-google-fonts+noto-sans-sc@*/node_modules/@expo-google-fonts/noto-sans-sc; do \
        [ -d "${fonts}" ] || continue; \
        for weight in "${fonts}"/[1-9]00*; do \
          case " ${FONT_WEIGHTS} " in *" $(basename "${weight}") "*) ;; *) rm -rf "${weight}" ;; esac; \
        done; \
        for weight in ${FONT_WEIGHTS}; do \
          test -f "${fonts}/${weight}/NotoSansSC_${weight}.ttf" || { echo "missing font ${weight}" >&2; exit 1; }; \
        done; \
      done; \
      test -f "/out/${svc}/dist/main.js"; \
    done

# ---------------------------------------------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Code stays owned by root (read-only to the service). data/ is the one writable directory, used only when no
# S3_ENDPOINT is set (STORAGE_DIR defaults to ./data/storage, relative to /app); with S3 nothing is written.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
CMD ["node", "--enable-source-maps", "dist/main.js"]

# ---------------------------------------------------------------------------------------------------- services
FROM runtime AS outline-worker
COPY --from=build /out/outline-worker /app

FROM runtime AS image-worker
COPY --from=build /out/image-worker /app

# Last, so a plain `docker build .` without --target gives the API.
FROM runtime AS api
COPY --from=build /out/api /app
# The web studio's static build; the API serves it at / (it looks for it at ../../../web/dist from dist/plugins).
COPY --from=build /repo/services/web/dist /web/dist
ENV PORT=3000 \
    HOST=0.0.0.0
EXPOSE 3000
# Liveness only (/healthz): /readyz also checks Redis and S3, and an unhealthy dependency is no reason to restart.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
