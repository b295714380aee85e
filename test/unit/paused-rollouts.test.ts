// A paused rollout on a device of its step: it keeps the new release only if it already runs it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { holdPausedSteps } from '../../daemon/src/agent/paused-rollouts.js';
import { deployment, desiredState, service } from '../helpers/plan-builders.js';

const release = (hash: string, revision: string) =>
  deployment('app', [service('web', { configHash: hash })], { stackRevision: revision });
const next = release('hash-new', 'head');
const previous = release('hash-old', 'v1');
const fallbacks = new Map([['app', previous]]);
const record = (running: ReturnType<typeof release>) => ({
  app: { lastKnownGood: { revision: running.stackRevision, deployment: running, at: 'then' } },
});

describe('holdPausedSteps', () => {
  it('keeps the new release on a device that already runs it', () => {
    const held = holdPausedSteps(
      desiredState(next),
      fallbacks,
      record(release('hash-new', 'older-head')),
    );
    assert.deepEqual(held.deployments[0], next);
  });

  it('keeps previous on a device that had not taken the new release, or runs nothing yet', () => {
    assert.deepEqual(
      holdPausedSteps(desiredState(next), fallbacks, record(previous)).deployments[0],
      previous,
    );
    assert.deepEqual(holdPausedSteps(desiredState(next), fallbacks, {}).deployments[0], previous);
  });

  it('changes nothing without a paused rollout', () => {
    const state = desiredState(next);
    assert.equal(holdPausedSteps(state, undefined, {}), state);
  });
});
