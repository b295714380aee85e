// The rollout plan's comment: a staged rollout's steps, the devices each takes, where it stands
// (paused or not), and with --hub how each device fares.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planMarkdown } from '../../builder/src/plan/format-plan.js';
import type { RolloutPlan } from '../../builder/src/plan/plan-rollout.js';

const device = (id: string, bucket: number, percent: number, paused = false) => ({
  device: id,
  changes: [],
  rollouts: [
    {
      deployment: 'iot',
      percent,
      bucket,
      selected: bucket < percent,
      ...(paused ? { paused } : {}),
      steps: [25, 50, 100],
    },
  ],
  downloadBytes: 0,
  layers: 0,
  from: 'base' as const,
});

describe('planMarkdown', () => {
  it('lists each step of a staged rollout with the devices it takes, and the pause', () => {
    const plan: RolloutPlan = {
      base: 'a'.repeat(40),
      head: 'b'.repeat(40),
      devices: [
        device('gw-3', 70, 25, true),
        device('gw-1', 10, 25, true),
        device('gw-2', 30, 25, true),
      ],
      totals: { devicesChanging: 0, downloadBytes: 0 },
      fares: { 'gw-1': { iot: 'rolled-back FERRY_HEALTH' } },
    };
    const text = planMarkdown(plan);
    assert.match(text, /\*\*Staged rollout iot\*\*: now at 25%, \*\*paused\*\*/);
    assert.match(text, /^- 25% \(current step\): gw-1 \(rolled-back FERRY_HEALTH\)$/m);
    assert.match(text, /^- 50%: gw-2$/m);
    assert.match(text, /^- 100%: gw-3$/m);
  });
});
