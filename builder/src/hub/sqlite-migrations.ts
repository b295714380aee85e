// The SQLite store's schema, one entry per version, applied once each, in order, on start
// (sqlite-store.ts). pg-migrations.ts holds the same versions in PostgreSQL's dialect.
/** Each entry is one version of the schema; never edit one that shipped, add the next. */
export const MIGRATIONS: readonly string[][] = [
  [
    `CREATE TABLE devices (
       id TEXT PRIMARY KEY, token_hash TEXT UNIQUE, enrolled_at TEXT NOT NULL,
       last_seen TEXT, last_seq INTEGER NOT NULL DEFAULT -1,
       identity TEXT NOT NULL DEFAULT '{}', labels TEXT NOT NULL DEFAULT '{}',
       resources TEXT NOT NULL DEFAULT '{}', revision TEXT, converged INTEGER,
       deployments TEXT NOT NULL DEFAULT '[]')`,
    `CREATE TABLE events (
       id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, at TEXT NOT NULL,
       kind TEXT NOT NULL, body TEXT NOT NULL)`,
    `CREATE INDEX events_by_device ON events (device_id, id)`,
  ],
  [
    `ALTER TABLE devices ADD COLUMN listed INTEGER`,
    `ALTER TABLE devices ADD COLUMN enrolled_by TEXT NOT NULL DEFAULT 'operator'`,
    `CREATE TABLE operations (
       id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, kind TEXT NOT NULL,
       deployment TEXT NOT NULL, service TEXT NOT NULL, lines INTEGER,
       requested_by TEXT NOT NULL, requested_at TEXT NOT NULL,
       state TEXT NOT NULL DEFAULT 'pending', finished_at TEXT, result TEXT)`,
    `CREATE INDEX operations_by_device ON operations (device_id, id)`,
  ],
  [`ALTER TABLE devices ADD COLUMN frozen TEXT`],
  [
    `CREATE TABLE decisions (
       id INTEGER PRIMARY KEY AUTOINCREMENT, deployment TEXT NOT NULL, at TEXT NOT NULL,
       body TEXT NOT NULL)`,
    `CREATE INDEX decisions_by_deployment ON decisions (deployment, id)`,
  ],
  // Dashboard sign-in sessions, by the SHA-256 of the cookie; expiry in epoch milliseconds.
  [`CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)`],
  // When the last state report came (heartbeats only move last_seen).
  [`ALTER TABLE devices ADD COLUMN state_at TEXT`],
];
