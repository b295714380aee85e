# ferryd, the gateway daemon. Multi-stage: the build stage compiles TypeScript; the runtime stage
# holds only compiled code and production dependencies. BASE is any image with Node.js 20.
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY schema/ schema/
COPY daemon/ daemon/
COPY builder/ builder/
COPY bin/ bin/
RUN npx tsc -p tsconfig.json --rootDir . --outDir dist && npm prune --omit=dev

FROM ${BASE}
WORKDIR /opt/ferry
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/bin/ bin/
COPY --from=build /src/dist/ dist/
VOLUME ["/var/lib/ferry"]
ENTRYPOINT ["node", "/opt/ferry/bin/ferryd.js"]
CMD ["run", "--config", "/etc/ferry/ferryd.yaml"]
