import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planDevice } from '../../builder/src/plan/device-changes.js';
import { deployment, desiredState, service } from '../helpers/plan-builders.js';

const layer = (n: number, size: number) => ({
  digest: `sha256:${String(n).padStart(64, '0')}`,
  size,
  mediaType: 'gzip',
  diffId: `sha256:${String(n).padStart(64, 'd')}`,
});

describe('planDevice', () => {
  const web1 = service('web', { image: 'r/web@v1' });
  const web2 = service('web', { image: 'r/web@v2', configHash: 'hash-web-v2' });
  const db = service('db', { image: 'r/db@v1' });
  const layersOf = new Map([
    ['r/web@v1', [layer(1, 1000), layer(2, 50)]],
    ['r/web@v2', [layer(1, 1000), layer(3, 70)]],
    ['r/db@v1', [layer(1, 1000), layer(4, 200)]],
  ]);

  it('reports recreated, created and removed services', () => {
    const plan = planDevice(
      'gw',
      desiredState(deployment('app', [web1, db])),
      desiredState(
        deployment('app', [web2]),
        deployment('new', [service('x', { image: 'r/web@v1' }, 'new')]),
      ),
      layersOf,
    );
    assert.deepEqual(plan.changes, [
      { deployment: 'app', service: 'web', change: 'recreate' },
      { deployment: 'new', service: 'x', change: 'create' },
      { deployment: 'app', service: 'db', change: 'remove' },
    ]);
  });

  it("counts only the head layers base's images do not provide", () => {
    const plan = planDevice(
      'gw',
      desiredState(deployment('app', [web1])),
      desiredState(deployment('app', [web2])),
      layersOf,
    );
    assert.equal(plan.downloadBytes, 70);
    assert.equal(plan.layers, 1);
  });

  it('counts everything for a device new to the fleet, shared layers once', () => {
    const plan = planDevice('gw', undefined, desiredState(deployment('app', [web2, db])), layersOf);
    assert.equal(plan.downloadBytes, 1000 + 70 + 200);
    assert.equal(plan.layers, 3);
  });

  it('reports nothing for an unchanged device', () => {
    const state = desiredState(deployment('app', [web1]));
    assert.deepEqual(planDevice('gw', state, state, layersOf), {
      device: 'gw',
      changes: [],
      rollouts: [],
      downloadBytes: 0,
      layers: 0,
    });
  });
});
