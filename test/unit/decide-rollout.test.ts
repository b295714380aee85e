// The rollout controller's decisions, from how the devices of a step fare: pause on failures
// (count, rate with a minimum, devices gone offline during the step), promote once every device
// converged and the step is old enough, complete at the last step, wait otherwise.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rolloutBucket } from '#kernel/fleet/rollout-bucket.js';
import type { RolloutSpec } from '#kernel/fleet/rollout.js';
import { decideRollout, type RolloutInput } from '../../builder/src/rollouts/decide-rollout.js';
import { editRollout } from '../../builder/src/rollouts/fleet-edit.js';
import type { DeviceView } from '../../builder/src/hub/hub-views.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const MINUTE = 60_000;
// 200 device ids, sorted by their bucket for the deployment 'iot'.
const ids = Array.from({ length: 200 }, (_, i) => `gw-${i}`).sort(
  (a, b) => rolloutBucket('iot', a) - rolloutBucket('iot', b),
);
const below = (percent: number) => ids.filter((id) => rolloutBucket('iot', id) < percent);

type Fare = {
  status?: string;
  code?: string;
  percent?: number;
  selected?: boolean;
  online?: boolean;
  seen?: number;
};

function device(id: string, fare: Fare = {}): DeviceView {
  const status = (fare.status ?? 'converged') as DeviceView['deployments'][number]['status'];
  return {
    id,
    online: fare.online ?? true,
    lastSeen: new Date(fare.seen ?? NOW).toISOString(),
    stateAt: new Date(fare.seen ?? NOW).toISOString(),
    arch: null,
    labels: {},
    inFleet: true,
    enrolledBy: 'operator',
    frozen: null,
    identity: {},
    revision: null,
    converged: true,
    resources: {},
    deployments: [
      {
        name: 'iot',
        appliedRevision: 'r',
        desiredRevision: 'r',
        status,
        ...(fare.code ? { code: fare.code } : {}),
        rollout: { percent: fare.percent ?? 25, selected: fare.selected ?? true },
        services: [],
      },
    ],
  };
}

const spec: RolloutSpec = {
  previous: 'abc',
  steps: [25, 50, 100],
  percent: 25,
  promoteAfter: '30m',
};
function input(devices: DeviceView[], more: Partial<RolloutInput> = {}): RolloutInput {
  return {
    deployment: 'iot',
    rollout: spec,
    stepSince: NOW - 40 * MINUTE,
    promoteAfterMs: 30 * MINUTE,
    now: NOW,
    devices,
    ...more,
  };
}
const inStep = below(25);
const outside = ids.filter((id) => !inStep.includes(id));
const fleet = (fares: Record<string, Fare> = {}) => [
  ...inStep.map((id) => device(id, fares[id])),
  ...outside.map((id) => device(id, { percent: 25, selected: false })),
];

describe('decideRollout', () => {
  it('promotes when every device of the step converged and the step is old enough', () => {
    assert.deepEqual(decideRollout(input(fleet())), {
      action: 'promote',
      from: 25,
      to: 50,
      devices: inStep.length,
    });
  });

  it('waits for a step younger than promoteAfter, and for devices still on the last step', () => {
    assert.equal(decideRollout(input(fleet(), { stepSince: NOW - 10 * MINUTE })).action, 'wait');
    const lagging = fleet({ [inStep[0]!]: { percent: 5 } });
    const decision = decideRollout(input(lagging));
    assert.deepEqual(decision, {
      action: 'wait',
      why: `${inStep.length - 1} of ${inStep.length} devices of the 25% step converged`,
    });
  });

  it('pauses on the first failure by default, naming the device and its code', () => {
    const decision = decideRollout(
      input(fleet({ [inStep[3]!]: { status: 'rolled-back', code: 'FERRY_HEALTH' } })),
    );
    assert.equal(decision.action, 'pause');
    assert.deepEqual(decision.action === 'pause' && decision.failing, [
      { device: inStep[3], status: 'rolled-back', code: 'FERRY_HEALTH' },
    ]);
    assert.match(
      decision.action === 'pause' ? decision.reason : '',
      /1 failed \(pauseOn\.failures 1\) in the 25% step/,
    );
  });

  it('pauses at pauseOn.failures, or at failureRate once minDevices are judged', () => {
    const two = fleet({ [inStep[0]!]: { status: 'failed' }, [inStep[1]!]: { status: 'rejected' } });
    const counting = { ...spec, pauseOn: { failures: 3 } };
    assert.equal(decideRollout(input(two, { rollout: counting })).action, 'wait');
    const rate = { ...spec, pauseOn: { failureRate: '1%', minDevices: 10 } };
    const decision = decideRollout(input(two, { rollout: rate }));
    assert.equal(decision.action, 'pause');
    assert.match(
      decision.action === 'pause' ? decision.reason : '',
      /2 of \d+ failed, \d+% \(pauseOn\.failureRate 1%\)/,
    );
    const few = fleet()
      .slice(0, 3)
      .map((d, i) => (i === 0 ? device(d.id, { status: 'failed' }) : d));
    const tooFew = { ...spec, pauseOn: { failureRate: '5%', minDevices: 10 } };
    assert.equal(decideRollout(input(few, { rollout: tooFew })).action, 'wait', 'too few to judge');
  });

  it('counts a device that went offline during the step as failed, not one offline before', () => {
    const gone = fleet({ [inStep[0]!]: { online: false, seen: NOW - 5 * MINUTE } });
    assert.equal(decideRollout(input(gone)).action, 'pause');
    const long = fleet({ [inStep[0]!]: { online: false, seen: NOW - 60 * MINUTE } });
    assert.equal(decideRollout(input(long)).action, 'promote');
  });

  it('ignores devices outside the step, and completes at the last step', () => {
    const failingOutside = fleet({ [outside[0]!]: { status: 'failed', selected: false } });
    assert.equal(decideRollout(input(failingOutside)).action, 'promote');
    const last = { ...spec, percent: 100 };
    const all = ids.map((id) => device(id, { percent: 100 }));
    assert.deepEqual(decideRollout(input(all, { rollout: last })), {
      action: 'complete',
      at: 100,
      devices: 200,
    });
    assert.deepEqual(decideRollout(input(all, { rollout: { ...last, paused: true } })), {
      action: 'wait',
      why: 'paused',
    });
  });
});

describe('editRollout', () => {
  const text = [
    'apiVersion: ferry/v1',
    'kind: Fleet',
    'deployments:',
    '  # the building management stack',
    '  - name: iot',
    '    stack: stacks/iot',
    '    rollout: { previous: abc, steps: [25, 50, 100], percent: 25 } # staged',
    '',
  ].join('\n');

  it('changes the one value, keeping comments and layout', () => {
    const promoted = editRollout(text, 'iot', { kind: 'promote', to: 50 });
    assert.equal(promoted, text.replace('percent: 25 }', 'percent: 50 }'));
    const paused = editRollout(text, 'iot', { kind: 'pause' });
    assert.equal(paused, text.replace('percent: 25 }', 'percent: 25, paused: true }'));
    assert.throws(() => editRollout(text, 'nope', { kind: 'pause' }), /no rollout/);
  });

  it('adds a key to a block map at its indentation, and sets a step where none was written', () => {
    const block = [
      'deployments:',
      '  - name: iot',
      '    rollout:',
      '      previous: abc # the last good release',
      '      steps: [5, 25, 100]',
      '    window: { cron: "0 2 * * *", duration: 2h }',
      '',
    ].join('\n');
    assert.equal(
      editRollout(block, 'iot', { kind: 'promote', to: 25 }),
      block.replace('      steps: [5, 25, 100]', '      steps: [5, 25, 100]\n      percent: 25'),
    );
    assert.equal(
      editRollout(block, 'iot', { kind: 'pause' }),
      block.replace('      steps: [5, 25, 100]', '      steps: [5, 25, 100]\n      paused: true'),
    );
  });
});
