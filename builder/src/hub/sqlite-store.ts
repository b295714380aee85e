// The hub's store in one SQLite file, through @libsql/client (prebuilt for Node 20; Node 20 has
// no node:sqlite). Migrations are numbered and applied once each, in order, on start.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createClient, type Client, type InStatement } from '@libsql/client';
import type { HubReport, StateReport } from '#kernel/hub/hub-report.js';
import {
  EVENTS_KEPT,
  stateEvent,
  type DeviceEvent,
  type DeviceRow,
  type HubStore,
  type Operation,
  type OperationRequest,
  type RolloutEvent,
  type StoreResult,
} from './hub-store.js';
import { MIGRATIONS } from './sqlite-migrations.js';
import { deviceOf, operationOf } from './sqlite-rows.js';

export class SqliteStore implements HubStore {
  readonly #client: Client;

  private constructor(client: Client) {
    this.#client = client;
  }

  static async open(path: string): Promise<SqliteStore> {
    await mkdir(dirname(path), { recursive: true });
    const client = createClient({ url: `file:${path}` });
    // WAL: readers (the API, the dashboard) never wait for a report being written.
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA synchronous = FULL');
    // `ferry hub enroll` opens the file while the hub writes reports: wait for the lock.
    await client.execute('PRAGMA busy_timeout = 10000');
    return new SqliteStore(client);
  }

  async migrate(): Promise<void> {
    await this.#client.execute(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, at TEXT NOT NULL)',
    );
    const done = await this.#client.execute('SELECT version FROM schema_migrations');
    const applied = new Set(done.rows.map((r) => Number(r.version)));
    for (const [index, statements] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (applied.has(version)) continue;
      await this.#client.batch(
        [
          ...statements,
          {
            sql: 'INSERT INTO schema_migrations (version, at) VALUES (?, ?)',
            args: [version, new Date().toISOString()],
          },
        ],
        'write',
      );
    }
  }

  async enroll(device: string, tokenHash: string): Promise<void> {
    await this.#client.execute({
      sql: `INSERT INTO devices (id, token_hash, enrolled_at) VALUES (?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash`,
      args: [device, tokenHash, new Date().toISOString()],
    });
  }

  async register(device: string, tokenHash: string): Promise<boolean> {
    const result = await this.#client.execute({
      sql: `INSERT INTO devices (id, token_hash, enrolled_at, enrolled_by) VALUES (?, ?, ?, 'self')
            ON CONFLICT (id) DO NOTHING`,
      args: [device, tokenHash, new Date().toISOString()],
    });
    return result.rowsAffected === 1;
  }

  async deviceOfToken(tokenHash: string): Promise<string | undefined> {
    const result = await this.#client.execute({
      sql: 'SELECT id FROM devices WHERE token_hash = ?',
      args: [tokenHash],
    });
    const id = result.rows[0]?.id;
    return typeof id === 'string' ? id : undefined;
  }

  async store(device: string, report: HubReport, receivedAt: string): Promise<StoreResult> {
    if (report.kind === 'heartbeat') {
      await this.#client.execute(seenStatement(device, report, receivedAt));
      return 'stored';
    }
    const transaction = await this.#client.transaction('write');
    try {
      const current = await transaction.execute({
        sql: 'SELECT last_seq FROM devices WHERE id = ?',
        args: [device],
      });
      if (Number(current.rows[0]?.last_seq ?? -1) >= report.seq) {
        await transaction.rollback();
        return 'duplicate';
      }
      for (const statement of statementsFor(device, report, receivedAt))
        await transaction.execute(statement);
      await transaction.commit();
      return 'stored';
    } finally {
      transaction.close();
    }
  }

  async devices(): Promise<DeviceRow[]> {
    const result = await this.#client.execute('SELECT * FROM devices ORDER BY id');
    return result.rows.map(deviceOf);
  }

  async device(id: string): Promise<DeviceRow | undefined> {
    const result = await this.#client.execute({
      sql: 'SELECT * FROM devices WHERE id = ?',
      args: [id],
    });
    const row = result.rows[0];
    return row ? deviceOf(row) : undefined;
  }

  async events(id: string, limit: number): Promise<DeviceEvent[]> {
    const result = await this.#client.execute({
      sql: 'SELECT at, kind, body FROM events WHERE device_id = ? ORDER BY id DESC LIMIT ?',
      args: [id, limit],
    });
    return result.rows.map((r) => ({
      at: String(r.at),
      kind: String(r.kind),
      body: JSON.parse(String(r.body)) as Record<string, unknown>,
    }));
  }

  async requestOperation(request: OperationRequest, at: string): Promise<number> {
    const result = await this.#client.execute({
      sql: `INSERT INTO operations (device_id, kind, deployment, service, lines, requested_by,
              requested_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      args: [
        request.device,
        request.kind,
        request.deployment,
        request.service,
        request.lines ?? null,
        request.requestedBy,
        at,
      ],
    });
    return Number(result.lastInsertRowid);
  }

  async operations(
    device: string,
    options: { limit: number; pendingSince?: string },
  ): Promise<Operation[]> {
    const pending = options.pendingSince !== undefined;
    const result = await this.#client.execute({
      sql: `SELECT * FROM operations WHERE device_id = ?
            ${pending ? "AND state = 'pending' AND requested_at >= ?" : ''}
            ORDER BY id DESC LIMIT ?`,
      args: pending ? [device, options.pendingSince ?? '', options.limit] : [device, options.limit],
    });
    return result.rows.map(operationOf);
  }

  async finishOperation(
    device: string,
    id: number,
    result: NonNullable<Operation['result']>,
    at: string,
  ): Promise<boolean> {
    const update = await this.#client.execute({
      sql: `UPDATE operations SET state = ?, result = ?, finished_at = ?
            WHERE id = ? AND device_id = ? AND state = 'pending'`,
      args: [result.error ? 'failed' : 'done', JSON.stringify(result), at, id, device],
    });
    return update.rowsAffected === 1;
  }

  async recordDecision(deployment: string, decision: Record<string, unknown>, at: string) {
    await this.#client.execute({
      sql: 'INSERT INTO decisions (deployment, at, body) VALUES (?, ?, ?)',
      args: [deployment, at, JSON.stringify(decision)],
    });
  }

  async addSession(idHash: string, expiresAt: number, now: number, keep: number) {
    await this.#client.batch(
      [
        {
          sql: 'INSERT INTO sessions (id_hash, expires_at) VALUES (?, ?)',
          args: [idHash, expiresAt],
        },
        {
          sql: `DELETE FROM sessions WHERE expires_at <= ? OR id_hash IN
                  (SELECT id_hash FROM sessions ORDER BY expires_at DESC LIMIT -1 OFFSET ?)`,
          args: [now, keep],
        },
      ],
      'write',
    );
  }

  async sessionValid(idHash: string, now: number): Promise<boolean> {
    const result = await this.#client.execute({
      sql: 'SELECT 1 FROM sessions WHERE id_hash = ? AND expires_at > ?',
      args: [idHash, now],
    });
    return result.rows.length > 0;
  }

  async dropSession(idHash: string): Promise<void> {
    await this.#client.execute({ sql: 'DELETE FROM sessions WHERE id_hash = ?', args: [idHash] });
  }

  async decisions(deployment: string, limit: number): Promise<RolloutEvent[]> {
    const result = await this.#client.execute({
      sql: 'SELECT at, body FROM decisions WHERE deployment = ? ORDER BY id DESC LIMIT ?',
      args: [deployment, limit],
    });
    return result.rows.map((r) => ({
      at: String(r.at),
      decision: JSON.parse(String(r.body)) as Record<string, unknown>,
    }));
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}

/**
 * A heartbeat updates when the device was seen and what it has left, whatever its seq: only state
 * reports are kept in seq order (last_seq), so a heartbeat overtaking one never makes it a
 * duplicate.
 */
function seenStatement(device: string, report: HubReport, at: string): InStatement {
  return {
    sql: 'UPDATE devices SET last_seen = ?, resources = ? WHERE id = ?',
    args: [at, JSON.stringify(report.resources), device],
  };
}

/** A state report updates everything it says, and the last seq stored. */
function statementsFor(device: string, report: StateReport, at: string): InStatement[] {
  return [
    seenStatement(device, report, at),
    {
      sql: `UPDATE devices SET identity = ?, labels = ?, revision = ?, converged = ?, deployments = ?,
              listed = ?, frozen = ?, last_seq = ?, state_at = ? WHERE id = ?`,
      args: [
        JSON.stringify(report.identity),
        JSON.stringify(report.labels),
        report.revision,
        report.converged ? 1 : 0,
        JSON.stringify(report.deployments),
        report.listed === undefined ? null : report.listed ? 1 : 0,
        report.frozen ? JSON.stringify(report.frozen) : null,
        report.seq,
        at,
        device,
      ],
    },
    {
      sql: 'INSERT INTO events (device_id, at, kind, body) VALUES (?, ?, ?, ?)',
      args: [device, at, 'state', JSON.stringify(stateEvent(report))],
    },
    {
      sql: `DELETE FROM events WHERE device_id = ? AND id <= (SELECT id FROM events
              WHERE device_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      args: [device, device, EVENTS_KEPT],
    },
  ];
}
