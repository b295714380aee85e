// Where the real services started by test/env/up.sh listen (same defaults as that script).
export const testEnv = {
  home: process.env.FERRY_TEST_HOME ?? '/var/tmp/ferry-test',
  registry: process.env.FERRY_TEST_REGISTRY ?? '127.0.0.1:5101',
  authRegistry: process.env.FERRY_TEST_AUTH_REGISTRY ?? '127.0.0.1:5102',
  authRegistryUser: { username: 'ferry', password: 'ferry-secret' },
  git: process.env.FERRY_TEST_GIT ?? 'http://127.0.0.1:5103',
  gitUser: { username: 'ferry', password: 'ferry-secret' },
  baseImage: process.env.FERRY_TEST_BASE_IMAGE ?? 'ferry-test/busybox:1',
  /** A Node.js 20 runtime on busybox, imported from this machine's node (about 115 MiB). */
  nodeImage: process.env.FERRY_TEST_NODE_IMAGE ?? 'ferry-test/node:20',
  dockerSocket: '/var/run/docker.sock',
  /** PostgreSQL over its Unix socket, as root (a superuser role up.sh creates). */
  postgres: process.env.FERRY_TEST_POSTGRES ?? 'postgres://root@/postgres?host=/var/run/postgresql',
} as const;
