# The loadlens image that `loadlens k8s` manifests run (agents and coordinator):
#   docker build -t loadlens:dev .
# Built from a clean checkout: the first stage builds dist/ (esbuild, tsc), the second keeps
# only the runtime dependencies, the built CLI and the examples (`loadlens demo`).

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ ./scripts/
COPY src/ ./src/
COPY webview/ ./webview/
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production NO_COLOR=1
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin/ ./bin/
COPY examples/ ./examples/
COPY --from=build /app/dist/ ./dist/
RUN ln -s /app/bin/loadlens.js /usr/local/bin/loadlens
# The node images' unprivileged user (uid 1000: the manifests' runAsUser).
USER node
WORKDIR /home/node
ENTRYPOINT ["loadlens"]
CMD ["--help"]
