// A pass decided before it acts (decidePass) and settled after (settlePass): pure, over plain data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decidePass, type PassDecision } from '../../daemon/src/agent/decide-pass.js';
import { FAILED_RETRY_MS } from '../../daemon/src/agent/pass-holds.js';
import {
  recordAfter,
  settlePass,
  type DeploymentOutcome,
} from '../../daemon/src/agent/settle-pass.js';
import type { DesiredState } from '#kernel/fleet/desired-state.js';
import type { EngineState } from '../../daemon/src/plan/engine-state.js';
import type { DaemonState } from '../../daemon/src/state/state-file.js';
import { deployment, desiredState, runningAs, service } from '../helpers/plan-builders.js';

const now = new Date('2026-11-30T12:00:00Z');
const none: EngineState = { containers: [], networks: [], volumes: [] };
const fresh: DaemonState = { version: 1, appliedRevision: null, deployments: {} };
const web = service('web');
const db = service('db', { image: `registry.test/db@sha256:${'2'.repeat(64)}` });
const app = deployment('app', [web]);
const data = deployment('data', [db], { window: { cron: '0 3 * * *', durationMs: 3_600_000 } });

function decide(desired: DesiredState, state = fresh, engine = none): PassDecision {
  return decidePass({ state, desired, engine, namespace: '', now });
}

const good: DeploymentOutcome = { status: 'updated', services: [] };
const failureLog = { service: 'web', container: 'app.web-next', lines: ['boot', 'fatal: no DB'] };
const broken: DeploymentOutcome = {
  status: 'rolled-back',
  reason: 'web: failed its healthcheck',
  code: 'FERRY_HEALTH',
  services: [],
  failureLog,
};

describe('decidePass', () => {
  it('fetches every image the desired state names, held deployments included', () => {
    const decision = decide(desiredState(app, data));
    assert.deepEqual(decision.fetch.images, [db.image, web.image].sort());
    assert.deepEqual(
      decision.turns.map((t) => t.deployment.name),
      ['app'],
      'data waits for its window',
    );
    assert.equal(decision.holds.get('data')?.reason, 'waiting-window');
  });

  it('gates every service again when the last apply was interrupted', () => {
    const state: DaemonState = {
      ...fresh,
      deployments: { app: { applying: { revision: 'rev2', at: now.toISOString() } } },
    };
    const [turn] = decide(desiredState(app), state).turns;
    assert.equal(turn?.ungated, true);
    assert.deepEqual(turn?.record, {}, 'the applying mark is not carried into the record');
  });

  it('removes the containers of a deployment that left, and only those', () => {
    const old = service('old', {}, 'gone');
    const engine: EngineState = {
      containers: [runningAs(web), runningAs(old, 'gone')],
      networks: [],
      volumes: [],
    };
    const { leaving } = decide(desiredState(app), fresh, engine);
    assert.deepEqual(
      leaving.services.map((s) => `${s.deployment}/${s.service}:${s.action}`),
      ['gone/old:remove'],
    );
    assert.deepEqual(
      leaving.steps.map((s) => s.action),
      ['stopContainer', 'removeContainer'],
    );
  });
});

describe('settlePass', () => {
  const desired = desiredState(app);

  it('records a good outcome as last known good and converges on the revision', () => {
    const decision = decide(desired);
    const settled = settlePass({
      state: fresh,
      desired,
      decision,
      revision: 'rev2',
      applied: new Map([['app', good]]),
      removed: [],
      now,
    });
    assert.equal(settled.converged, true);
    assert.equal(settled.changed, true);
    assert.equal(settled.state.appliedRevision, 'rev2');
    assert.deepEqual(settled.state.deployments.app?.lastKnownGood?.deployment, app);
    assert.deepEqual([...settled.keepImages], [web.image]);
    assert.deepEqual(settled.failures, []);
  });

  it('writes nothing when the same good version is unchanged', () => {
    const state: DaemonState = {
      version: 1,
      appliedRevision: 'rev2',
      deployments: { app: { lastKnownGood: { revision: 'rev2', deployment: app, at: 'then' } } },
    };
    const settled = settlePass({
      state,
      desired,
      decision: decide(desired, state),
      revision: 'rev2',
      applied: new Map([['app', { status: 'unchanged', services: [] }]]),
      removed: [],
      now,
    });
    assert.equal(settled.changed, false);
    assert.equal(settled.state.deployments.app?.lastKnownGood?.at, 'then');
  });

  it('counts a failure against its revision, keeps the good images and reports the code', () => {
    const v1 = deployment('app', [service('web', { image: 'registry.test/web:1' })], {
      stackRevision: 'rev1',
    });
    const state: DaemonState = {
      version: 1,
      appliedRevision: 'rev1',
      deployments: { app: { lastKnownGood: { revision: 'rev1', deployment: v1, at: 'then' } } },
    };
    const settled = settlePass({
      state,
      desired,
      decision: decide(desired, state),
      revision: 'rev2',
      applied: new Map([['app', broken]]),
      removed: [],
      now,
    });
    assert.equal(settled.converged, false);
    assert.equal(settled.state.appliedRevision, 'rev1', 'the applied revision stays');
    // The failed container's output is kept with the failure: the rollback removed it.
    assert.deepEqual(settled.state.deployments.app?.failed, {
      revision: 'rev2',
      reason: broken.reason,
      at: now.toISOString(),
      attempts: 1,
      code: 'FERRY_HEALTH',
      outcome: 'rolled-back',
      failureLog,
    });
    assert.deepEqual([...settled.keepImages].sort(), ['registry.test/web:1', web.image].sort());
    assert.deepEqual(settled.failures, [
      { code: 'FERRY_HEALTH', message: `app: ${broken.reason}`, deployment: 'app' },
    ]);
  });

  it('reports a held failed revision with its reason, code and until-time among the pass failures', () => {
    const state: DaemonState = {
      version: 1,
      appliedRevision: 'rev1',
      deployments: {
        app: {
          failed: {
            revision: 'rev2',
            reason: 'boom',
            at: now.toISOString(),
            attempts: 1,
            code: 'FERRY_HEALTH',
            outcome: 'rolled-back',
            failureLog,
          },
        },
      },
    };
    const decision = decide(desired, state);
    const settled = settlePass({
      state,
      desired,
      decision,
      revision: 'rev2',
      applied: new Map(),
      removed: [],
      now,
    });
    assert.deepEqual(settled.outcomes.get('app'), {
      status: 'held-after-failure',
      services: [],
      reason: 'boom',
      code: 'FERRY_HEALTH',
      until: new Date(now.getTime() + FAILED_RETRY_MS).toISOString(),
      failureLog,
      failedAs: 'rolled-back',
    });
    assert.equal(settled.converged, false);
    // Not converged, and the pass says why: the held failure, its code and when it is tried again.
    assert.deepEqual(settled.failures, [
      {
        code: 'FERRY_HEALTH',
        deployment: 'app',
        message: `app: held after a failure until ${new Date(now.getTime() + FAILED_RETRY_MS).toISOString()} (a new commit or \`ferryd retry\` tries sooner): boom`,
      },
    ]);
    assert.equal(settled.changed, false);
  });

  it('forgets the record of a deployment that left', () => {
    const state: DaemonState = {
      version: 1,
      appliedRevision: 'rev1',
      deployments: { gone: { lastKnownGood: { revision: 'rev1', deployment: app, at: 'then' } } },
    };
    const settled = settlePass({
      state,
      desired: desiredState(),
      decision: decide(desiredState(), state),
      revision: 'rev2',
      applied: new Map(),
      removed: ['gone'],
      now,
    });
    assert.deepEqual(settled.state.deployments, {});
    assert.equal(settled.converged, true);
  });
});

describe('recordAfter', () => {
  it('counts attempts of the same revision and starts again for a new one', () => {
    const failedOnce = {
      failed: { revision: 'rev2', reason: 'x', at: 'then', attempts: 1 },
    };
    const again = recordAfter(
      { deployment: app, record: failedOnce, ungated: false },
      broken,
      'now',
    );
    assert.equal(again.failed?.attempts, 2);
    const other = recordAfter(
      { deployment: { ...app, stackRevision: 'rev3' }, record: failedOnce, ungated: false },
      broken,
      'now',
    );
    assert.equal(other.failed?.attempts, 1);
  });

  it('re-records a version seen healthy again after an interrupted apply', () => {
    const record = { lastKnownGood: { revision: 'rev2', deployment: app, at: 'then' } };
    const unchanged: DeploymentOutcome = { status: 'unchanged', services: [] };
    assert.equal(
      recordAfter({ deployment: app, record, ungated: false }, unchanged, 'now').lastKnownGood?.at,
      'then',
    );
    assert.equal(
      recordAfter({ deployment: app, record, ungated: true }, unchanged, 'now').lastKnownGood?.at,
      'now',
    );
  });
});
