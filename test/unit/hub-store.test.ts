// The hub's SQLite store: migrations applied once, reports stored whole and once, tokens by hash.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { HubReport } from '#kernel/hub/hub-report.js';
import { SqliteStore } from '../../builder/src/hub/sqlite-store.js';

const resources = { cpus: 2, load1: 0.5, memTotal: 1, memAvailable: 1, diskFree: 1, uptime: 1 };
const state = (seq: number, revision: string): HubReport => ({
  v: 1,
  kind: 'state',
  device: 'gw',
  seq,
  sentAt: 'now',
  resources,
  identity: { hostname: 'gw', arch: 'arm64', os: 'linux', kernel: '6.1', ferrydVersion: '0.1.0' },
  labels: { site: 'vienna' },
  revision,
  converged: true,
  deployments: [
    {
      name: 'iot',
      desiredRevision: revision,
      appliedRevision: revision,
      status: 'converged',
      services: [],
    },
  ],
  failures: [],
  bytesDownloaded: 0,
});

async function open() {
  const path = join(await mkdtemp(join(tmpdir(), 'ferry-hubdb-')), 'hub.db');
  const store = await SqliteStore.open(path);
  await store.migrate();
  return { store, path };
}

describe('SqliteStore', () => {
  it('applies its migrations once, however often it starts', async () => {
    const { store, path } = await open();
    await store.enroll('gw', 'hash-1');
    await store.close();
    const again = await SqliteStore.open(path);
    await again.migrate();
    assert.equal(await again.deviceOfToken('hash-1'), 'gw');
    await again.close();
  });

  it('stores a report once: a resent one (same or older seq) changes nothing', async () => {
    const { store } = await open();
    await store.enroll('gw', 'hash');
    assert.equal(await store.store('gw', state(5, 'rev2'), '2026-11-30T10:00:00Z'), 'stored');
    assert.equal(await store.store('gw', state(4, 'rev1'), '2026-11-30T10:01:00Z'), 'duplicate');
    assert.equal(await store.store('gw', state(5, 'rev1'), '2026-11-30T10:01:00Z'), 'duplicate');
    const device = await store.device('gw');
    assert.equal(device?.revision, 'rev2');
    assert.equal(device?.lastSeen, '2026-11-30T10:00:00Z');
    assert.equal((await store.events('gw', 10)).length, 1);
    await store.close();
  });

  it('takes a heartbeat as a sign of life, leaving the state as it was', async () => {
    const { store } = await open();
    await store.enroll('gw', 'hash');
    await store.store('gw', state(1, 'rev1'), '2026-11-30T10:00:00Z');
    await store.store(
      'gw',
      {
        v: 1,
        kind: 'heartbeat',
        device: 'gw',
        seq: 2,
        sentAt: 'x',
        resources: { ...resources, load1: 3 },
      },
      '2026-11-30T10:05:00Z',
    );
    const device = await store.device('gw');
    assert.equal(device?.lastSeen, '2026-11-30T10:05:00Z');
    assert.equal(device?.revision, 'rev1');
    assert.equal(device?.resources.load1, 3);
    assert.equal(await store.deviceOfToken('unknown'), undefined);
    await store.close();
  });
});
