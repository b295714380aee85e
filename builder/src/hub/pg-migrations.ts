// The PostgreSQL store's schema, numbered as sqlite-migrations.ts: one entry per version,
// applied once each, in order, on start (pg-store.ts); never edit one that shipped, add the next.
export const PG_MIGRATIONS: readonly string[][] = [
  [
    `CREATE TABLE devices (
       id TEXT PRIMARY KEY, token_hash TEXT UNIQUE, enrolled_at TIMESTAMPTZ NOT NULL,
       last_seen TIMESTAMPTZ, last_seq BIGINT NOT NULL DEFAULT -1,
       identity JSONB NOT NULL DEFAULT '{}', labels JSONB NOT NULL DEFAULT '{}',
       resources JSONB NOT NULL DEFAULT '{}', revision TEXT, converged BOOLEAN,
       deployments JSONB NOT NULL DEFAULT '[]')`,
    `CREATE TABLE events (
       id BIGSERIAL PRIMARY KEY, device_id TEXT NOT NULL, at TIMESTAMPTZ NOT NULL,
       kind TEXT NOT NULL, body JSONB NOT NULL)`,
    `CREATE INDEX events_by_device ON events (device_id, id)`,
  ],
  [
    `ALTER TABLE devices ADD COLUMN listed BOOLEAN`,
    `ALTER TABLE devices ADD COLUMN enrolled_by TEXT NOT NULL DEFAULT 'operator'`,
    `CREATE TABLE operations (
       id BIGSERIAL PRIMARY KEY, device_id TEXT NOT NULL, kind TEXT NOT NULL,
       deployment TEXT NOT NULL, service TEXT NOT NULL, lines INTEGER,
       requested_by TEXT NOT NULL, requested_at TIMESTAMPTZ NOT NULL,
       state TEXT NOT NULL DEFAULT 'pending', finished_at TIMESTAMPTZ, result JSONB)`,
    `CREATE INDEX operations_by_device ON operations (device_id, id)`,
  ],
  [`ALTER TABLE devices ADD COLUMN frozen JSONB`],
  [
    `CREATE TABLE decisions (
       id BIGSERIAL PRIMARY KEY, deployment TEXT NOT NULL, at TIMESTAMPTZ NOT NULL,
       body JSONB NOT NULL)`,
    `CREATE INDEX decisions_by_deployment ON decisions (deployment, id)`,
  ],
  [`CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)`],
  [`ALTER TABLE devices ADD COLUMN state_at TIMESTAMPTZ`],
];
