# syntax=docker/dockerfile:1
# llm-orchestrator as a container: the package as `npm pack` makes it, installed with its production dependencies
# only, on Node 24, as the unprivileged `node` user. See docs/deploy.md.
#
#   docker build -t llm-orchestrator .
#   docker run -p 8080:8080 -v llmo-data:/data llm-orchestrator            # serve on a SQLite store in /data
#   docker run llm-orchestrator keys create --name ci --role runner        # any other command

ARG NODE_IMAGE=node:24-bookworm-slim

# 1. The checkout with its dev dependencies, packed as users get it (`npm pack` runs the build: tsc + the CLI bundle).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm pack --silent --pack-destination /tmp/pkg && mv /tmp/pkg/llm-orchestrator-*.tgz /tmp/pkg/llm-orchestrator.tgz

# 2. The packed tarball installed with production dependencies only: no sources, tests or dev tools.
FROM ${NODE_IMAGE} AS install
WORKDIR /opt/llm-orchestrator
COPY --from=build /tmp/pkg/llm-orchestrator.tgz /tmp/llm-orchestrator.tgz
RUN npm init -y >/dev/null \
  && npm install --omit=dev --no-audit --no-fund --no-package-lock /tmp/llm-orchestrator.tgz \
  && npm cache clean --force \
  && rm /tmp/llm-orchestrator.tgz

# 3. What runs.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    LLM_ORCHESTRATOR_STORE=sqlite:/data/runs.db
COPY --from=install /opt/llm-orchestrator /opt/llm-orchestrator
# The probe of HEALTHCHECK and of Kubernetes' readiness (plain Node, no dependencies).
COPY deploy/probe.mjs /opt/llm-orchestrator/probe.mjs
RUN ln -s /opt/llm-orchestrator/node_modules/llm-orchestrator/bin/llm-orchestrator.js /usr/local/bin/llm-orchestrator \
  && mkdir -p /data /etc/llm-orchestrator \
  && chown node:node /data
WORKDIR /data
VOLUME ["/data"]
# uid 1000 of the base image; never root.
USER node
EXPOSE 8080
# Node is PID 1 here and the CLI handles SIGTERM itself (event streams end, requests finish, runs checkpoint within
# the grace periods, then it exits); a second SIGTERM exits at once. Compose's `init: true` or `docker run --init`
# add an init that reaps zombies as well.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/opt/llm-orchestrator/probe.mjs", "/health"]
ENTRYPOINT ["llm-orchestrator"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
