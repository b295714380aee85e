// The load of a simulated fleet on a hub, for bench/hub-scale.ts: realistic reports, devices
// enrolled in bulk, a schedule of heartbeats and state changes, and what a process costs.
import { createClient } from '@libsql/client';
import pg from 'pg';
import type { HeartbeatReport, StateReport } from '#kernel/hub/hub-report.js';
import { tokenHash } from '../builder/src/hub/device-api.js';

export const deviceId = (i: number) => `gw-${String(i).padStart(5, '0')}`;
export const tokenOf = (i: number) => `bench-token-${i}-0123456789abcdef`;

const resources = (i: number) => ({
  cpus: 4,
  load1: Math.round(((i % 97) / 40) * 100) / 100,
  memTotal: 1_023_410_176,
  memAvailable: 400_000_000 + (i % 1000) * 100_000,
  diskFree: 11_000_000_000 + i,
  engineDiskFree: 11_000_000_000 + i,
  uptime: 86_400 + i,
});

/** A state report shaped like a gateway's: two deployments of three services, labels, identity. */
export function stateReport(i: number, seq: number, revision: string): StateReport {
  const services = (names: string[]) => names.map((name) => ({ name, state: 'running' }));
  return {
    v: 1,
    kind: 'state',
    device: deviceId(i),
    seq,
    sentAt: new Date().toISOString(),
    resources: resources(i),
    identity: {
      hostname: `gateway-${i}`,
      arch: i % 3 === 0 ? 'arm64' : 'arm',
      os: 'linux',
      kernel: '6.1.0-rpi7-rpi-v8',
      ferrydVersion: '0.1.0',
      engineVersion: '20.10.24+dfsg1',
    },
    labels: { site: `site-${i % 40}`, floor: String(i % 5), role: 'bms' },
    listed: true,
    revision,
    converged: true,
    deployments: [
      {
        name: 'bms',
        desiredRevision: revision,
        appliedRevision: revision,
        status: 'converged',
        services: services(['modbus-reader', 'mqtt-bridge', 'historian']),
      },
      {
        name: 'monitoring',
        desiredRevision: revision,
        appliedRevision: revision,
        status: 'converged',
        services: services(['node-exporter', 'cadvisor', 'log-shipper']),
      },
    ],
    failures: [],
    bytesDownloaded: 0,
  };
}

export function heartbeat(i: number, seq: number): HeartbeatReport {
  return {
    v: 1,
    kind: 'heartbeat',
    device: deviceId(i),
    seq,
    sentAt: new Date().toISOString(),
    resources: resources(i),
  };
}

/** Enrolls devices 0..count-1 in one transaction (a hub enrolls one at a time, with fsyncs). */
export async function enrollAll(databaseUrl: string, count: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => [deviceId(i), tokenHash(tokenOf(i))]);
  const at = new Date().toISOString();
  if (databaseUrl.startsWith('sqlite:')) {
    const client = createClient({ url: `file:${databaseUrl.slice('sqlite:'.length)}` });
    await client.batch(
      rows.map(([id, hash]) => ({
        sql: 'INSERT INTO devices (id, token_hash, enrolled_at) VALUES (?, ?, ?)',
        args: [id ?? '', hash ?? '', at],
      })),
      'write',
    );
    client.close();
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  for (let start = 0; start < rows.length; start += 1000) {
    const chunk = rows.slice(start, start + 1000);
    const values = chunk.map((_, k) => `($${k * 2 + 1}, $${k * 2 + 2}, now())`).join(', ');
    await client.query(
      `INSERT INTO devices (id, token_hash, enrolled_at) VALUES ${values}`,
      chunk.flat(),
    );
  }
  await client.end();
}

/** POSTs a report; the milliseconds until the answer, or -1 when it failed. */
export async function post(url: string, i: number, report: unknown): Promise<number> {
  const start = performance.now();
  try {
    const response = await fetch(`${url}/api/v1/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenOf(i)}`, 'content-type': 'application/json' },
      body: JSON.stringify(report),
    });
    await response.arrayBuffer();
    return response.ok ? performance.now() - start : -1;
  } catch {
    return -1;
  }
}
