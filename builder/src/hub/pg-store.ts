// The hub's store in PostgreSQL (`database.url: postgres://...`), for fleets that outgrow one
// file. The same tables as sqlite-store.ts, in PostgreSQL's dialect; migrations numbered alike.
import pg from 'pg';
import type { HubReport } from '#kernel/hub/hub-report.js';
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
import { PG_MIGRATIONS } from './pg-migrations.js';
import { deviceOf, operationOf, type PgDevice, type PgOperation } from './pg-rows.js';

export class PgStore implements HubStore {
  readonly #pool: pg.Pool;

  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 4 });
  }

  async migrate(): Promise<void> {
    await this.#inTransaction(async (client) => {
      // One hub at a time migrates: the others wait on the lock, then find nothing to do.
      await client.query('SELECT pg_advisory_xact_lock(7790)');
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, at TIMESTAMPTZ NOT NULL)',
      );
      const done = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(done.rows.map((r) => r.version));
      for (const [index, statements] of PG_MIGRATIONS.entries()) {
        if (applied.has(index + 1)) continue;
        for (const statement of statements) await client.query(statement);
        await client.query('INSERT INTO schema_migrations (version, at) VALUES ($1, now())', [
          index + 1,
        ]);
      }
    });
  }

  async enroll(device: string, tokenHash: string): Promise<void> {
    await this.#pool.query(
      `INSERT INTO devices (id, token_hash, enrolled_at) VALUES ($1, $2, now())
       ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash`,
      [device, tokenHash],
    );
  }

  async register(device: string, tokenHash: string): Promise<boolean> {
    const result = await this.#pool.query(
      `INSERT INTO devices (id, token_hash, enrolled_at, enrolled_by) VALUES ($1, $2, now(), 'self')
       ON CONFLICT (id) DO NOTHING`,
      [device, tokenHash],
    );
    return result.rowCount === 1;
  }

  async deviceOfToken(tokenHash: string): Promise<string | undefined> {
    const result = await this.#pool.query<{ id: string }>(
      'SELECT id FROM devices WHERE token_hash = $1',
      [tokenHash],
    );
    return result.rows[0]?.id;
  }

  async store(device: string, report: HubReport, receivedAt: string): Promise<StoreResult> {
    // A heartbeat says when the device was seen, whatever its seq: only state reports are kept
    // in seq order, so a heartbeat overtaking one never makes it a duplicate.
    const seen = 'UPDATE devices SET last_seen = $1, resources = $2 WHERE id = $3';
    const seenArgs = [receivedAt, JSON.stringify(report.resources), device];
    if (report.kind === 'heartbeat') {
      await this.#pool.query(seen, seenArgs);
      return 'stored';
    }
    return this.#inTransaction(async (client) => {
      const current = await client.query<{ last_seq: string }>(
        'SELECT last_seq FROM devices WHERE id = $1 FOR UPDATE',
        [device],
      );
      if (Number(current.rows[0]?.last_seq ?? -1) >= report.seq) return 'duplicate';
      await client.query(seen, seenArgs);
      await client.query(
        `UPDATE devices SET identity = $1, labels = $2, revision = $3, converged = $4,
           deployments = $5, listed = $6, frozen = $7, last_seq = $8, state_at = $9 WHERE id = $10`,
        [
          JSON.stringify(report.identity),
          JSON.stringify(report.labels),
          report.revision,
          report.converged,
          JSON.stringify(report.deployments),
          report.listed ?? null,
          report.frozen ? JSON.stringify(report.frozen) : null,
          report.seq,
          receivedAt,
          device,
        ],
      );
      await client.query('INSERT INTO events (device_id, at, kind, body) VALUES ($1, $2, $3, $4)', [
        device,
        receivedAt,
        'state',
        JSON.stringify(stateEvent(report)),
      ]);
      await client.query(
        `DELETE FROM events WHERE device_id = $1 AND id <= (SELECT id FROM events
           WHERE device_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`,
        [device, EVENTS_KEPT],
      );
      return 'stored';
    });
  }

  async devices(): Promise<DeviceRow[]> {
    const result = await this.#pool.query<PgDevice>('SELECT * FROM devices ORDER BY id');
    return result.rows.map(deviceOf);
  }

  async device(id: string): Promise<DeviceRow | undefined> {
    const result = await this.#pool.query<PgDevice>('SELECT * FROM devices WHERE id = $1', [id]);
    const row = result.rows[0];
    return row ? deviceOf(row) : undefined;
  }

  async events(id: string, limit: number): Promise<DeviceEvent[]> {
    const result = await this.#pool.query<{
      at: Date;
      kind: string;
      body: Record<string, unknown>;
    }>('SELECT at, kind, body FROM events WHERE device_id = $1 ORDER BY id DESC LIMIT $2', [
      id,
      limit,
    ]);
    return result.rows.map((r) => ({ at: r.at.toISOString(), kind: r.kind, body: r.body }));
  }

  async requestOperation(request: OperationRequest, at: string): Promise<number> {
    const result = await this.#pool.query<{ id: string }>(
      `INSERT INTO operations (device_id, kind, deployment, service, lines, requested_by,
         requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [
        request.device,
        request.kind,
        request.deployment,
        request.service,
        request.lines ?? null,
        request.requestedBy,
        at,
      ],
    );
    return Number(result.rows[0]?.id);
  }

  async operations(
    device: string,
    options: { limit: number; pendingSince?: string },
  ): Promise<Operation[]> {
    const pending = options.pendingSince !== undefined;
    const result = await this.#pool.query<PgOperation>(
      `SELECT * FROM operations WHERE device_id = $1
       ${pending ? "AND state = 'pending' AND requested_at >= $3" : ''}
       ORDER BY id DESC LIMIT $2`,
      pending ? [device, options.limit, options.pendingSince] : [device, options.limit],
    );
    return result.rows.map(operationOf);
  }

  async finishOperation(
    device: string,
    id: number,
    result: NonNullable<Operation['result']>,
    at: string,
  ): Promise<boolean> {
    const update = await this.#pool.query(
      `UPDATE operations SET state = $1, result = $2, finished_at = $3
       WHERE id = $4 AND device_id = $5 AND state = 'pending'`,
      [result.error ? 'failed' : 'done', JSON.stringify(result), at, id, device],
    );
    return update.rowCount === 1;
  }

  async recordDecision(deployment: string, decision: Record<string, unknown>, at: string) {
    await this.#pool.query('INSERT INTO decisions (deployment, at, body) VALUES ($1, $2, $3)', [
      deployment,
      at,
      JSON.stringify(decision),
    ]);
  }

  async addSession(idHash: string, expiresAt: number, now: number, keep: number) {
    await this.#pool.query('INSERT INTO sessions (id_hash, expires_at) VALUES ($1, $2)', [
      idHash,
      expiresAt,
    ]);
    await this.#pool.query(
      `DELETE FROM sessions WHERE expires_at <= $1 OR id_hash IN
         (SELECT id_hash FROM sessions ORDER BY expires_at DESC OFFSET $2)`,
      [now, keep],
    );
  }

  async sessionValid(idHash: string, now: number): Promise<boolean> {
    const result = await this.#pool.query(
      'SELECT 1 FROM sessions WHERE id_hash = $1 AND expires_at > $2',
      [idHash, now],
    );
    return result.rows.length > 0;
  }

  async dropSession(idHash: string): Promise<void> {
    await this.#pool.query('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
  }

  async decisions(deployment: string, limit: number): Promise<RolloutEvent[]> {
    const result = await this.#pool.query<{ at: Date; body: Record<string, unknown> }>(
      'SELECT at, body FROM decisions WHERE deployment = $1 ORDER BY id DESC LIMIT $2',
      [deployment, limit],
    );
    return result.rows.map((r) => ({ at: r.at.toISOString(), decision: r.body }));
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
