import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { insideWindow } from '../../daemon/src/agent/maintenance-window.js';
import { validateFleet } from '../../builder/src/validate/validate-fleet.js';
import { fleetFiles, simpleCompose } from '../helpers/fleet-builder.js';
import { MemoryReader } from '../helpers/memory-reader.js';

const at = (time: string) => new Date(`2026-11-22T${time}`);
const twoHours = 2 * 60 * 60 * 1000;

describe('insideWindow', () => {
  it('is open from the cron match for the duration', () => {
    assert.equal(insideWindow('0 2 * * *', twoHours, at('02:00:00')), true);
    assert.equal(insideWindow('0 2 * * *', twoHours, at('03:59:30')), true);
    assert.equal(insideWindow('0 2 * * *', twoHours, at('04:00:00')), false);
    assert.equal(insideWindow('0 2 * * *', twoHours, at('01:59:59')), false);
  });

  it('handles windows that span midnight and weekday-only expressions', () => {
    assert.equal(insideWindow('30 23 * * *', twoHours, new Date('2026-11-23T00:45:00')), true);
    // 2026-11-22 is a Sunday: a Monday-to-Friday window stays shut.
    assert.equal(insideWindow('0 2 * * 1-5', twoHours, at('02:30:00')), false);
  });

  it('treats an invalid expression as never open', () => {
    assert.equal(insideWindow('not cron', twoHours, at('02:30:00')), false);
  });

  it('is rejected by validation with its position', async () => {
    const files = fleetFiles(
      '  - name: app\n    stack: stacks/app\n    target: { devices: [d] }\n    window: { cron: "61 * * * *", duration: 1h }',
      { d: 'labels: {}' },
      { 'stacks/app': simpleCompose },
    );
    const report = await validateFleet(new MemoryReader(files));
    assert.deepEqual(
      report.problems.map((p) => [p.path, p.line, p.message]),
      [['deployments[0].window.cron', 7, "'61 * * * *' is not a cron expression"]],
    );
  });
});
