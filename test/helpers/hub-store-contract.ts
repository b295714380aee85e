// What every hub store does alike, run on SQLite (test/unit/hub-store.test.ts) and on PostgreSQL
// (test/integration/hub-store-pg.test.ts): reports stored whole and once, state reports in seq
// order whatever the heartbeats say, tokens by hash, events and sessions bounded, operations
// answered only by their device, a deployment's rollout as the last report saw it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HubReport } from '#kernel/hub/hub-report.js';
import { SchemaValidator } from '#kernel/validate.js';
import { EVENTS_KEPT, failureLogs, type HubStore } from '../../builder/src/hub/hub-store.js';
import { hubMetrics } from '../../builder/src/hub/hub-metrics.js';
import { deploymentDetail } from '../../builder/src/hub/operator-api.js';

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

/** The contract, on stores `open` makes: each new, migrated and empty. */
export function hubStoreContract(label: string, open: () => Promise<HubStore>): void {
  describe(label, () => {
    it('stores a report once: a resent one (same or older seq) changes nothing', async () => {
      const store = await open();
      await store.enroll('gw', 'hash');
      assert.equal(await store.store('gw', state(5, 'rev2'), '2026-11-30T10:00:00.000Z'), 'stored');
      assert.equal(
        await store.store('gw', state(4, 'rev1'), '2026-11-30T10:01:00.000Z'),
        'duplicate',
      );
      assert.equal(
        await store.store('gw', state(5, 'rev1'), '2026-11-30T10:01:00.000Z'),
        'duplicate',
      );
      const device = await store.device('gw');
      assert.equal(device?.revision, 'rev2');
      assert.equal(device?.lastSeen, '2026-11-30T10:00:00.000Z');
      assert.equal((await store.events('gw', 10)).length, 1);
      await store.close();
    });

    it('keeps state reports in seq order whatever the heartbeats between them say', async () => {
      const store = await open();
      await store.enroll('gw', 'hash');
      const beat = (seq: number): HubReport => ({
        v: 1,
        kind: 'heartbeat',
        device: 'gw',
        seq,
        sentAt: 'x',
        resources,
      });
      await store.store('gw', state(1, 'rev1'), '2026-11-30T10:00:00.000Z');
      // A heartbeat numbered after the next state report, sent before it.
      assert.equal(await store.store('gw', beat(3), '2026-11-30T10:00:01.000Z'), 'stored');
      assert.equal(await store.store('gw', state(2, 'rev2'), '2026-11-30T10:00:02.000Z'), 'stored');
      // A late heartbeat is still a sign of life.
      assert.equal(await store.store('gw', beat(1), '2026-11-30T10:00:03.000Z'), 'stored');
      const device = await store.device('gw');
      assert.equal(device?.revision, 'rev2');
      assert.equal(device?.lastSeen, '2026-11-30T10:00:03.000Z');
      assert.equal(
        await store.store('gw', state(2, 'rev2'), '2026-11-30T10:00:04.000Z'),
        'duplicate',
      );
      await store.close();
    });

    it('takes a heartbeat as a sign of life, leaving the state as it was', async () => {
      const store = await open();
      await store.enroll('gw', 'hash');
      await store.store('gw', state(1, 'rev1'), '2026-11-30T10:00:00.000Z');
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
        '2026-11-30T10:05:00.000Z',
      );
      const device = await store.device('gw');
      assert.equal(device?.lastSeen, '2026-11-30T10:05:00.000Z');
      assert.equal(device?.revision, 'rev1');
      assert.equal(device?.resources.load1, 3);
      assert.equal(await store.deviceOfToken('unknown'), undefined);
      await store.close();
    });

    it('lets a device enroll itself only under an id not taken', async () => {
      const store = await open();
      await store.enroll('gw', 'operator-hash');
      assert.equal(await store.register('gw', 'attacker-hash'), false);
      assert.equal(await store.deviceOfToken('operator-hash'), 'gw');
      assert.equal(await store.deviceOfToken('attacker-hash'), undefined);
      assert.equal(await store.register('new-gw', 'new-hash'), true);
      assert.equal((await store.device('new-gw'))?.enrolledBy, 'self');
      assert.equal((await store.device('gw'))?.enrolledBy, 'operator');
      await store.close();
    });

    it('keeps the newest events of a device and its failure logs', async () => {
      const store = await open();
      await store.enroll('gw', 'hash');
      const failing = (seq: number): HubReport => {
        const report = state(seq, `rev${seq}`);
        if (report.kind !== 'state') throw new Error('a state report');
        return {
          ...report,
          deployments: [
            {
              ...report.deployments[0]!,
              status: 'rolled-back',
              failureLog: { service: 'web', container: 'iot.web', lines: [`seq ${seq}`] },
            },
          ],
        };
      };
      for (let seq = 1; seq <= EVENTS_KEPT + 5; seq++)
        await store.store(
          'gw',
          failing(seq),
          new Date(Date.UTC(2026, 10, 30, 0, 0, seq)).toISOString(),
        );
      const events = await store.events('gw', 1000);
      assert.equal(events.length, EVENTS_KEPT);
      const logs = failureLogs(events.slice(0, 2));
      assert.deepEqual(logs[0], {
        at: events[0]?.at,
        deployment: 'iot',
        revision: `rev${EVENTS_KEPT + 5}`,
        service: 'web',
        container: 'iot.web',
        lines: [`seq ${EVENTS_KEPT + 5}`],
      });
      await store.close();
    });

    it('keeps each remote operation with who asked, and only its device may answer it', async () => {
      const store = await open();
      await store.enroll('gw', 'hash');
      const ask = { device: 'gw', kind: 'logs' as const, deployment: 'iot', service: 'web' };
      const id = await store.requestOperation(
        { ...ask, lines: 50, requestedBy: 'ana (127.0.0.1)' },
        '2026-11-30T10:00:00.000Z',
      );
      const pending = await store.operations('gw', {
        limit: 8,
        pendingSince: '2026-11-30T09:00:00.000Z',
      });
      assert.deepEqual(
        pending.map((o) => [o.id, o.state, o.lines, o.requestedBy]),
        [[id, 'pending', 50, 'ana (127.0.0.1)']],
      );
      assert.deepEqual(
        await store.operations('gw', { limit: 8, pendingSince: '2026-11-30T11:00:00.000Z' }),
        [],
        'a stale ask is no longer handed out',
      );
      assert.equal(await store.finishOperation('other', id, { lines: ['x'] }, 'now'), false);
      assert.equal(await store.finishOperation('gw', id, { lines: ['ok'] }, 'now'), true);
      assert.equal(await store.finishOperation('gw', id, { lines: ['again'] }, 'now'), false);
      const [done] = await store.operations('gw', { limit: 8 });
      assert.equal(done?.state, 'done');
      assert.deepEqual(done?.result, { lines: ['ok'] });
      await store.close();
    });

    it('keeps dashboard sessions until they expire or are dropped, and only the newest', async () => {
      const store = await open();
      await store.addSession('a', 1_000, 0, 2);
      await store.addSession('b', 2_000, 0, 2);
      assert.equal(await store.sessionValid('a', 999), true);
      assert.equal(await store.sessionValid('a', 1_000), false, 'expired');
      await store.addSession('c', 3_000, 500, 2);
      assert.equal(await store.sessionValid('a', 600), false, 'the oldest goes past the newest 2');
      assert.equal(await store.sessionValid('b', 600), true);
      await store.dropSession('b');
      assert.equal(await store.sessionValid('b', 600), false, 'signed out');
      assert.equal(await store.sessionValid('c', 600), true);
      await store.addSession('d', 4_000, 3_500, 2);
      assert.equal(await store.sessionValid('c', 2_000), false, 'expired ones are deleted');
      await store.close();
    });
    it('shows a rollout as the device that reported last saw it, paused or not', async () => {
      // Not the highest step any device named: a rollout paused, resumed or moved back by hand
      // shows as it is, while devices that have not polled since still name the old step.
      const store = await open();
      for (const id of ['gw-a', 'gw-b']) await store.enroll(id, `hash-${id}`);
      const options = {
        store,
        validator: new SchemaValidator(),
        heartbeatMs: 60_000,
        now: () => Date.parse('2026-11-30T12:00:00.000Z'),
        metrics: hubMetrics(),
      };
      let seq = 0;
      const report = (device: string, rollout: { percent: number; paused?: boolean }) => {
        const base = state(++seq, 'r');
        if (base.kind !== 'state') throw new Error('a state report');
        const [deployment] = base.deployments;
        return {
          ...base,
          device,
          deployments: [{ ...deployment!, rollout: { ...rollout, selected: true } }],
        };
      };
      const rollout = async () => (await deploymentDetail(options, 'iot')).rollout;
      assert.equal(await rollout(), undefined);
      await store.store('gw-a', report('gw-a', { percent: 100 }), '2026-11-30T11:00:00.000Z');
      assert.deepEqual(await rollout(), { percent: 100, paused: false });
      // Moved back to 25% and paused; gw-a has not polled since.
      await store.store(
        'gw-b',
        report('gw-b', { percent: 25, paused: true }),
        '2026-11-30T11:05:00.000Z',
      );
      assert.deepEqual(await rollout(), { percent: 25, paused: true });
      // Resumed: the device that reports next says so.
      await store.store('gw-a', report('gw-a', { percent: 25 }), '2026-11-30T11:10:00.000Z');
      assert.deepEqual(await rollout(), { percent: 25, paused: false });
      // A heartbeat says nothing of the fleet.
      const beat: HubReport = {
        v: 1,
        kind: 'heartbeat',
        device: 'gw-b',
        seq: 99,
        sentAt: 'x',
        resources,
      };
      await store.store('gw-b', beat, '2026-11-30T11:15:00.000Z');
      assert.deepEqual(await rollout(), { percent: 25, paused: false });
      await store.close();
    });
  });
}
