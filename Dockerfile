# ferryd, the gateway daemon. Multi-stage: the build stage compiles TypeScript; the runtime stage
# holds only the compiled daemon and its production dependencies. BASE is any image with Node.js
# 20 and npm (the tests pass one made from the build machine's own Node.js).
#
#   docker build -t ferryd .
#   docker run -d --name ferryd --restart unless-stopped --network host \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     -v /var/lib/ferry:/var/lib/ferry -v /etc/ferry:/etc/ferry:ro ferryd
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /src
COPY . .
# A checkout that already ran `npm ci` brings node_modules (build machines whose containers have
# no registry access); otherwise install here.
RUN [ -d node_modules ] || npm ci --ignore-scripts --no-audit --no-fund
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && find node_modules -mindepth 1 -maxdepth 1 -type d -empty -exec rmdir {} +

FROM ${BASE}
WORKDIR /opt/ferry
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/bin/ferryd.js bin/
COPY --from=build /src/dist/kernel/ dist/kernel/
COPY --from=build /src/dist/daemon/ dist/daemon/
COPY --from=build /src/dist/schema/ dist/schema/
VOLUME ["/var/lib/ferry"]
# Asks the ferryd that ferryd.yaml describes, at its api.listen (with no token: /healthz is open).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/opt/ferry/bin/ferryd.js", "healthcheck", "--config", "/etc/ferry/ferryd.yaml"]
# The node flags keep ferryd's memory small and flat (daemon/src/cli/node-flags.ts).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--optimize-for-size", "--single-threaded", "/opt/ferry/bin/ferryd.js"]
CMD ["run", "--config", "/etc/ferry/ferryd.yaml"]
