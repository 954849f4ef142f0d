# syntax=docker/dockerfile:1
# The Listing API image: built with the dev toolchain, run on production dependencies only, as a non-root
# user. It needs a PostgreSQL (DATABASE_URL) and JWT_SECRET; the embedded demo database is not for containers.
#   docker build -t listing-api .
#   docker run --rm listing-api node_modules/.bin/prisma migrate deploy     # with DATABASE_URL: the one-shot migration
#   docker run -p 3000:3000 -e DATABASE_URL=… -e JWT_SECRET=… listing-api
# A line that still receives security fixes, and one package.json's engines admit (^22.22.3 || ^24.15.0 || ^26):
# the major only, so that a rebuild picks up its newest patch release.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Nothing the project needs runs at install time; its own postinstall (prisma generate) needs the sources,
# so it runs below, explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The generated Prisma client (libs/database/src/generated) is TypeScript: nest build compiles it into dist/.
RUN npm run prisma:generate && npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# For `prisma migrate deploy` (the prisma CLI is a production dependency): the schema, the migrations, and the
# driver adapter prisma.config.ts loads from source. The service itself never loads libs/dev-database.
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY libs/dev-database/src/migration-adapter.ts libs/dev-database/src/database-url.ts ./libs/dev-database/src/
USER node
EXPOSE 3000
# Ready = the database (and Redis, when configured) answers and the process is not shutting down.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/apps/api/src/main.js"]
