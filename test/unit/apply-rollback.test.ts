// Applying a deployment against an engine in memory (test/helpers/fake-engine.ts): health gates,
// start-first and stop-first updates, and rollback to the last known good version, without Docker.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { applyDeployment } from '../../daemon/src/agent/apply-deployment.js';
import type { Clock } from '../../daemon/src/apply/wait-for.js';
import type { DesiredDeployment } from '#kernel/fleet/desired-state.js';
import type { DeploymentRecord } from '../../daemon/src/state/state-file.js';
import { FakeEngine, FakeImages, passThroughFiles, type Health } from '../helpers/fake-engine.js';
import { deployment, desiredState, service } from '../helpers/plan-builders.js';

const logger = pino({ level: 'silent' });

/** A clock that moves only when someone sleeps. */
function fakeClock(): Clock {
  let now = 1_000_000;
  return { now: () => now, sleep: async (ms) => void (now += ms) };
}

const version = (v: string, order: 'start-first' | 'stop-first' = 'start-first') =>
  deployment('app', [service('web', { environment: { VERSION: v }, configHash: `hash-${v}` })], {
    networks: [],
    update: { order, healthTimeoutMs: 30_000, rollback: true },
  });

async function apply(
  engine: FakeEngine,
  clock: Clock,
  wanted: DesiredDeployment,
  good?: DesiredDeployment,
  images = new FakeImages(wanted.services.map((s) => s.image)),
) {
  const record: DeploymentRecord = good
    ? { lastKnownGood: { revision: 'rev1', deployment: good, at: '2026-11-30T00:00:00Z' } }
    : {};
  return applyDeployment({
    desired: desiredState(wanted),
    turn: { deployment: wanted, record, ungated: false },
    namespace: '',
    execute: { engine, device: 'gw', logger, clock, images, files: passThroughFiles },
    hostRoot: '/',
    beforeChanges: async () => undefined,
  });
}

/** v2 never becomes healthy; everything else does. */
const v2Broken = (env: readonly string[]): Health =>
  env.includes('VERSION=2') ? 'unhealthy' : 'healthy';

describe('applyDeployment on an engine in memory', () => {
  it('creates, starts and gates a new deployment', async () => {
    const clock = fakeClock();
    const engine = new FakeEngine(v2Broken, clock.now);
    const outcome = await apply(engine, clock, version('1'));
    assert.equal(outcome.status, 'updated');
    assert.deepEqual(engine.view(), { 'app.web': { state: 'running', env: ['VERSION=1'] } });
  });

  it('start-first: a broken v2 never replaces v1, whose container keeps running', async () => {
    const clock = fakeClock();
    const engine = new FakeEngine(v2Broken, clock.now);
    await apply(engine, clock, version('1'));
    const before = [...engine.containers.keys()];
    const outcome = await apply(engine, clock, version('2'), version('1'));
    assert.equal(outcome.status, 'rolled-back');
    assert.equal(outcome.code, 'FERRY_HEALTH');
    assert.match(outcome.reason ?? '', /web: failed its healthcheck: check failed/);
    assert.deepEqual([...engine.containers.keys()], before, 'the same v1 container');
    assert.deepEqual(engine.view(), { 'app.web': { state: 'running', env: ['VERSION=1'] } });
    assert.ok(engine.calls.includes('remove app.web.next'));
  });

  it("keeps the failed container's last output before the rollback removes it", async () => {
    const clock = fakeClock();
    const engine = new FakeEngine(v2Broken, clock.now);
    await apply(engine, clock, version('1'));
    const said = Array.from({ length: 250 }, (_, i) => `line ${i + 1}`).join('|');
    const v2 = deployment(
      'app',
      [service('web', { environment: { VERSION: '2', OUTPUT: said }, configHash: 'hash-2' })],
      { networks: [], update: { order: 'start-first', healthTimeoutMs: 30_000, rollback: true } },
    );
    const outcome = await apply(engine, clock, v2, version('1'));
    assert.equal(outcome.status, 'rolled-back');
    assert.equal(outcome.failureLog?.service, 'web');
    assert.equal(outcome.failureLog?.container, 'app.web.next');
    assert.equal(outcome.failureLog?.lines.length, 200);
    assert.equal(outcome.failureLog?.lines[0], 'line 51');
    assert.equal(outcome.failureLog?.lines.at(-1), 'line 250');
    assert.ok(!engine.containers.has('app.web.next'), 'and the container is gone');
  });

  it('stop-first: a broken v2 is replaced by v1 again', async () => {
    const clock = fakeClock();
    const engine = new FakeEngine(v2Broken, clock.now);
    await apply(engine, clock, version('1', 'stop-first'));
    const outcome = await apply(
      engine,
      clock,
      version('2', 'stop-first'),
      version('1', 'stop-first'),
    );
    assert.equal(outcome.status, 'rolled-back');
    assert.deepEqual(engine.view(), { 'app.web': { state: 'running', env: ['VERSION=1'] } });
  });

  it('removes a broken first version when there is nothing good to go back to', async () => {
    const clock = fakeClock();
    const engine = new FakeEngine(v2Broken, clock.now);
    const outcome = await apply(engine, clock, version('2'));
    assert.equal(outcome.status, 'rolled-back');
    assert.deepEqual(engine.view(), {});
  });

  it('gives up on a container that stays "starting" at the health timeout', async () => {
    const clock = fakeClock();
    const engine = new FakeEngine(() => 'starting', clock.now);
    const started = clock.now();
    const outcome = await apply(engine, clock, version('1'));
    assert.equal(outcome.status, 'rolled-back');
    assert.match(outcome.reason ?? '', /not healthy within 30s \(state running, health starting\)/);
    assert.ok(clock.now() - started >= 30_000);
  });

  it('with rollback off, reports the failure and goes back to nothing', async () => {
    const clock = fakeClock();
    const engine = new FakeEngine(v2Broken, clock.now);
    await apply(engine, clock, version('1'));
    const noRollback = {
      ...version('2'),
      update: { order: 'start-first' as const, healthTimeoutMs: 30_000, rollback: false },
    };
    const outcome = await apply(engine, clock, noRollback, version('1'));
    assert.equal(outcome.status, 'failed');
    assert.equal(engine.view()['app.web']?.env[0], 'VERSION=1', 'v1 still runs');
  });

  it('fetches a good version the engine lost through Ferry before restoring it', async () => {
    const clock = fakeClock();
    const engine = new FakeEngine(v2Broken, clock.now);
    const v1 = version('1');
    await apply(engine, clock, v1);
    const v1Image = v1.services[0]!.image;
    const v2 = deployment(
      'app',
      [
        service('web', {
          image: 'registry.test/web:2',
          environment: { VERSION: '2' },
          configHash: 'hash-2',
        }),
      ],
      {
        networks: [],
        update: { order: 'stop-first', healthTimeoutMs: 30_000, rollback: true },
      },
    );
    // The engine has v2's image but no longer v1's (removed by hand, say).
    const images = new FakeImages([v2.services[0]!.image]);
    const outcome = await apply(engine, clock, v2, v1, images);
    assert.equal(outcome.status, 'rolled-back');
    assert.deepEqual(images.fetched, [[v1Image]], 'one fetch, of the image being restored');
    assert.deepEqual(engine.view(), { 'app.web': { state: 'running', env: ['VERSION=1'] } });
    assert.ok(!engine.calls.some((c) => c.startsWith('pull')), 'the engine never pulls');
  });
});
