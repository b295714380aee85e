// Which deployments a pass leaves alone: a revision that just failed, one outside its window.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAILED_RETRY_MS, heldDeployments } from '../../daemon/src/agent/pass-holds.js';
import type { DaemonState } from '../../daemon/src/state/state-file.js';
import { deployment, desiredState, service } from '../helpers/plan-builders.js';

const now = new Date('2026-11-30T12:00:00Z');
const failedAt = (msAgo: number, revision = 'rev2'): DaemonState => ({
  version: 1,
  appliedRevision: 'rev1',
  deployments: {
    app: {
      failed: {
        revision,
        reason: 'app: not healthy',
        at: new Date(now.getTime() - msAgo).toISOString(),
        attempts: 1,
      },
    },
  },
});

describe('heldDeployments', () => {
  const desired = desiredState(deployment('app', [service('web')]));

  it('holds a revision that failed less than an hour ago', () => {
    assert.deepEqual(heldDeployments(desired, failedAt(60_000), now).get('app'), {
      reason: 'held-after-failure',
      failure: 'app: not healthy',
      until: new Date(now.getTime() - 60_000 + FAILED_RETRY_MS).toISOString(),
    });
  });

  it('tries it again after the hour, or at once for another revision', () => {
    assert.equal(heldDeployments(desired, failedAt(FAILED_RETRY_MS + 1), now).size, 0);
    assert.equal(heldDeployments(desired, failedAt(60_000, 'rev1'), now).size, 0);
  });

  it('holds a deployment outside its maintenance window', () => {
    const windowed = desiredState(
      deployment('app', [service('web')], { window: { cron: '0 3 * * *', durationMs: 3_600_000 } }),
    );
    const empty: DaemonState = { version: 1, appliedRevision: null, deployments: {} };
    assert.deepEqual(heldDeployments(windowed, empty, now).get('app'), {
      reason: 'waiting-window',
    });
    const inside = new Date('2026-11-30T03:30:00');
    assert.equal(heldDeployments(windowed, empty, inside).size, 0);
  });
});
