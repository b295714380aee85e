import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planDevice } from '../../builder/src/plan/device-changes.js';
import { invalidPlanMarkdown, planMarkdown } from '../../builder/src/plan/format-plan.js';
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
      { deployment: 'app', service: 'web', change: 'recreate', why: ['image'] },
      { deployment: 'new', service: 'x', change: 'create' },
      { deployment: 'app', service: 'db', change: 'remove' },
    ]);
  });

  it('says why a service is recreated, and flags the downtime of a stop-first update', () => {
    const published = (env: string) =>
      service('web', {
        image: 'r/web@v1',
        environment: { MODE: env },
        configHash: `hash-${env}`,
        ports: [{ target: 80, published: '8080', protocol: 'tcp' }],
      } as never);
    const plan = planDevice(
      'gw',
      desiredState(deployment('app', [published('a')])),
      desiredState(deployment('app', [published('b')])),
      layersOf,
    );
    assert.deepEqual(plan.changes, [
      {
        deployment: 'app',
        service: 'web',
        change: 'recreate',
        why: ['environment'],
        downtime: 'it publishes host port 8080',
      },
    ]);
  });

  it('groups devices with the same change into one row of the comment', () => {
    const devices = Array.from({ length: 10_000 }, (_, i) =>
      planDevice(
        `gw-${i}`,
        desiredState(deployment('app', [web1])),
        desiredState(deployment('app', [web2])),
        layersOf,
      ),
    ).map((d) => ({ ...d, from: 'base' as const }));
    const text = planMarkdown({
      base: 'a'.repeat(40),
      head: 'b'.repeat(40),
      devices,
      totals: { devicesChanging: 10_000, downloadBytes: 700_000 },
    });
    assert.ok(text.length < 60_000, `${text.length} characters`);
    assert.ok(text.startsWith('<!-- ferry-plan -->\n'), 'the marker CI jobs find their comment by');
    assert.match(
      text,
      /^\| 10000 devices: gw-0, gw-1, gw-2, gw-3, gw-4, … \| recreate app\/web \(image\) \| 70 B/m,
    );
  });

  it('writes the problems of an invalid head as the comment', () => {
    const text = invalidPlanMarkdown('HEAD', [
      {
        file: 'stacks/app/compose.yaml',
        line: 3,
        col: 5,
        path: 'services.web.image',
        message: 'image is required',
      },
    ]);
    assert.match(text, /`HEAD` does not validate/);
    assert.match(
      text,
      /^- `stacks\/app\/compose\.yaml:3:5 services\.web\.image: image is required`$/m,
    );
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
