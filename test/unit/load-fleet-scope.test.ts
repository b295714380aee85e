// A gateway reads only what it needs: its own device file and the stacks that target it, so its
// pass costs the same in a fleet of 10 or 10,000 devices, and another device's broken file does
// not stop it (`ferry validate` still reports everything).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '#kernel/errors.js';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { resolveDevice } from '#kernel/fleet/resolve-device.js';
import { fleetFiles, simpleCompose, validator } from '../helpers/fleet-builder.js';
import { MemoryReader } from '../helpers/memory-reader.js';

const deployment = (name: string, target: string) =>
  `  - name: ${name}\n    stack: stacks/${name}\n    target: ${target}`;

function fleet(devices: number) {
  const files: Record<string, string> = {};
  for (let i = 0; i < devices; i += 1) files[`gw-${i}`] = `labels: { site: s${i % 3} }`;
  return fleetFiles(
    [
      deployment('by-label', '{ labels: { site: s0 } }'),
      deployment('by-id', '{ devices: [gw-1] }'),
      deployment('arm', '{ labels: { arch: arm64 } }'),
    ].join('\n'),
    files,
    {
      'stacks/by-label': simpleCompose,
      'stacks/by-id': simpleCompose,
      'stacks/arm': simpleCompose,
    },
  );
}

describe('loading the fleet for one device', () => {
  it('reads fleet.yaml, its own device file and the stacks that target it, nothing else', async () => {
    const reader = new MemoryReader(fleet(50));
    const loaded = await loadFleet(reader, validator, { device: 'gw-3', facts: { arch: 'amd64' } });
    assert.deepEqual(reader.touched, [
      'fleet.yaml',
      'devices/gw-3.yaml',
      'stacks/by-label/compose.yaml',
      'stacks/by-label/.env',
    ]);
    assert.deepEqual(
      resolveDevice(loaded, 'gw-3', { arch: 'amd64' }).state?.deployments.map((d) => d.name),
      ['by-label'],
    );
  });

  it('touches as many files in a fleet of 1,000 devices as in one of 5', async () => {
    const count = async (devices: number) => {
      const reader = new MemoryReader(fleet(devices));
      await loadFleet(reader, validator, { device: 'gw-1', facts: { arch: 'arm64' } });
      return reader.touched;
    };
    assert.deepEqual(await count(1000), await count(5));
  });

  it('resolves as the whole-fleet load does, for every device', async () => {
    const files = fleet(12);
    const whole = await loadFleet(new MemoryReader(files), validator);
    for (let i = 0; i < 12; i += 1)
      for (const facts of [{ arch: 'amd64' }, { arch: 'arm64' }]) {
        const device = `gw-${i}`;
        const scoped = await loadFleet(new MemoryReader(files), validator, { device, facts });
        assert.deepEqual(
          resolveDevice(scoped, device, facts),
          resolveDevice(whole, device, facts),
          `${device} ${facts.arch}`,
        );
      }
  });

  it("is not stopped by another device's broken file or a stack it does not run", async () => {
    const files = {
      ...fleet(5),
      'devices/gw-2.yaml': 'labels: [not, a, map]',
      'stacks/by-id/compose.yaml': 'services: { broken',
    };
    await assert.rejects(loadFleet(new MemoryReader(files), validator), InvalidInputError);
    const scoped = await loadFleet(new MemoryReader(files), validator, {
      device: 'gw-3',
      facts: {},
    });
    assert.ok(resolveDevice(scoped, 'gw-3').state);
    await assert.rejects(
      loadFleet(new MemoryReader(files), validator, { device: 'gw-1', facts: {} }),
      InvalidInputError,
      'gw-1 runs the broken stack',
    );
  });

  it('reads no device file for a device the fleet does not list', async () => {
    const reader = new MemoryReader(fleet(3));
    const loaded = await loadFleet(reader, validator, { device: 'stranger', facts: {} });
    assert.deepEqual(resolveDevice(loaded, 'stranger').state?.deployments, []);
  });
});
