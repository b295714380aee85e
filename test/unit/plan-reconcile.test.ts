import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scopedName } from '#kernel/fleet/scoped-name.js';
import type { EngineState } from '../../daemon/src/plan/engine-state.js';
import { engineName } from '../../daemon/src/plan/labels.js';
import { planReconcile, type PlanInput } from '../../daemon/src/plan/plan-reconcile.js';
import type { Step } from '../../daemon/src/plan/steps.js';
import { deployment, desiredState, runningAs, service } from '../helpers/plan-builders.js';

const empty: EngineState = { containers: [], networks: [], volumes: [] };

function plan(input: Partial<PlanInput> & Pick<PlanInput, 'desired'>) {
  return planReconcile({ current: empty, namespace: '', localImages: new Set(), ...input });
}

/** Steps as short strings, e.g. `createContainer app.web`, for readable assertions. */
function brief(steps: readonly Step[]): string[] {
  return steps.map((step) => {
    switch (step.action) {
      case 'fetchImages':
        return `fetch ${step.images.map((i) => i.split('@')[0]).join(' ')}`;
      case 'createNetwork':
      case 'createVolume':
      case 'createContainer':
      case 'startContainer':
      case 'removeNetwork':
        return `${step.action} ${step.engineName}`;
      case 'waitFor':
        return `waitFor ${step.engineName} ${step.condition}`;
      case 'renameContainer':
        return `rename ${step.engineName} -> ${step.to}`;
      default:
        return `${step.action} ${step.containerId}`;
    }
  });
}

describe('planReconcile on an empty engine', () => {
  it('downloads first, then creates networks, volumes and containers in dependency order', () => {
    const db = service('db');
    const web = service('web', { dependsOn: [{ service: 'db', condition: 'service_healthy' }] });
    const desired = desiredState(
      deployment('app', [web, db], { volumes: [{ name: 'data', engineName: 'app.data' }] }),
    );
    const result = plan({ desired, namespace: 'floor-1' });
    assert.deepEqual(brief(result.steps), [
      'fetch registry.test/db registry.test/web',
      'createNetwork floor-1.app.default',
      'createVolume floor-1.app.data',
      'createContainer floor-1.app.db',
      'startContainer floor-1.app.db',
      'waitFor floor-1.app.db service_healthy',
      'createContainer floor-1.app.web',
      'startContainer floor-1.app.web',
      'waitFor floor-1.app.db update_healthy',
      'waitFor floor-1.app.web update_healthy',
    ]);
    assert.deepEqual(
      result.services.map((s) => `${s.service}:${s.action}`),
      ['db:create', 'web:create'],
    );
  });

  it('fetches only images the engine does not have', () => {
    const web = service('web');
    const result = plan({
      desired: desiredState(deployment('app', [web])),
      localImages: new Set([web.image]),
    });
    assert.ok(!result.steps.some((s) => s.action === 'fetchImages'));
    const both = plan({
      desired: desiredState(deployment('app', [web, service('db')])),
      localImages: new Set([web.image]),
    });
    assert.deepEqual(brief(both.steps).slice(0, 1), ['fetch registry.test/db']);
  });
});

describe('planReconcile on a running device', () => {
  const db = service('db');
  const web = service('web');
  const current = (containers = [runningAs(db), runningAs(web)]): EngineState => ({
    containers,
    networks: [{ name: 'app.default', deployment: 'app' }],
    volumes: [],
  });
  const all = new Set([db.image, web.image]);

  it('does nothing when every config hash matches', () => {
    const result = plan({
      desired: desiredState(deployment('app', [db, web])),
      current: current(),
      localImages: all,
    });
    assert.deepEqual(result.steps, []);
    assert.deepEqual(
      result.services.map((s) => s.action),
      ['unchanged', 'unchanged'],
    );
  });

  it('recreates only the changed service, start-first: the new one must be healthy before the old stops', () => {
    const changed = { ...web, configHash: 'hash-web-v2' };
    const result = plan({
      desired: desiredState(deployment('app', [db, changed])),
      current: current(),
      localImages: all,
    });
    assert.deepEqual(brief(result.steps), [
      'createContainer app.web.next',
      'startContainer app.web.next',
      'waitFor app.web.next update_healthy',
      'stopContainer id-app.web',
      'removeContainer id-app.web',
      'rename app.web.next -> app.web',
    ]);
    assert.deepEqual(
      result.services.map((s) => `${s.service}:${s.action}`),
      ['db:unchanged', 'web:recreate'],
    );
  });

  it('falls back to stop-first when the service publishes a host port', () => {
    const changed = {
      ...web,
      configHash: 'hash-web-v2',
      ports: [{ target: 80, published: 8080, protocol: 'tcp' as const }],
    };
    const result = plan({
      desired: desiredState(deployment('app', [db, changed])),
      current: current(),
      localImages: all,
    });
    assert.deepEqual(brief(result.steps), [
      'stopContainer id-app.web',
      'removeContainer id-app.web',
      'createContainer app.web',
      'startContainer app.web',
      'waitFor app.web update_healthy',
    ]);
    assert.equal(result.services[1]?.order, 'stop-first');
  });

  it('falls back to stop-first on the host network, and obeys update.order: stop-first', () => {
    const onHost = { ...web, configHash: 'hash-web-v2', networkMode: 'host', networks: [] };
    assert.equal(
      plan({
        desired: desiredState(deployment('app', [db, onHost])),
        current: current(),
        localImages: all,
      }).services[1]?.order,
      'stop-first',
    );
    const changed = { ...web, configHash: 'hash-web-v2' };
    const stopFirst = deployment('app', [db, changed], {
      update: { order: 'stop-first', healthTimeoutMs: 1000, rollback: true },
    });
    assert.equal(
      plan({ desired: desiredState(stopFirst), current: current(), localImages: all }).services[1]
        ?.order,
      'stop-first',
    );
  });

  it('falls back to stop-first for a fixed address or MAC, which two containers cannot hold', () => {
    const order = (more: object) =>
      plan({
        desired: desiredState(
          deployment('app', [db, { ...web, configHash: 'hash-web-v2', ...more }]),
        ),
        current: current(),
        localImages: all,
      }).services[1]?.order;
    assert.equal(order({ endpoints: { default: { ipv4Address: '10.1.0.5' } } }), 'stop-first');
    assert.equal(order({ macAddress: '02:42:ac:11:00:99' }), 'stop-first');
    assert.equal(order({ endpoints: { default: { aliases: ['frontend'] } } }), 'start-first');
  });

  it('removes a service that left the stack, and never removes volumes', () => {
    const result = plan({
      desired: desiredState(deployment('app', [db])),
      current: { ...current(), volumes: [{ name: 'app.data', deployment: 'app' }] },
      localImages: all,
    });
    assert.deepEqual(brief(result.steps), [
      'stopContainer id-app.web',
      'removeContainer id-app.web',
    ]);
    assert.deepEqual(
      result.services.map((s) => `${s.service}:${s.action}`),
      ['db:unchanged', 'web:remove'],
    );
  });

  it('removes a deployment that left the fleet, with its networks', () => {
    const result = plan({ desired: desiredState(), current: current(), localImages: all });
    assert.deepEqual(brief(result.steps), [
      'stopContainer id-app.db',
      'removeContainer id-app.db',
      'stopContainer id-app.web',
      'removeContainer id-app.web',
      'removeNetwork app.default',
    ]);
  });

  it('leaves held deployments exactly as they are, changed or gone', () => {
    const changed = { ...web, configHash: 'hash-web-v2' };
    const hold = new Set(['app']);
    assert.deepEqual(
      plan({
        desired: desiredState(deployment('app', [db, changed])),
        current: current(),
        localImages: new Set(),
        hold,
      }).steps,
      [],
    );
    assert.deepEqual(
      plan({ desired: desiredState(), current: current(), localImages: all, hold }).steps,
      [],
    );
  });

  it('cleans up after an interrupted start-first update', () => {
    const leftover = runningAs({ ...web, configHash: 'hash-web-v2' }, 'app', {
      id: 'id-next',
      name: 'app.web.next',
    });
    const result = plan({
      desired: desiredState(deployment('app', [db, web])),
      current: current([runningAs(db), runningAs(web), leftover]),
      localImages: all,
    });
    assert.deepEqual(brief(result.steps), ['stopContainer id-next', 'removeContainer id-next']);
  });

  it('adopts a finished `.next` container when the old one is already gone', () => {
    const next = runningAs(web, 'app', { id: 'id-next', name: 'app.web.next' });
    const result = plan({
      desired: desiredState(deployment('app', [db, web])),
      current: current([runningAs(db), next]),
      localImages: all,
    });
    assert.deepEqual(
      result.services.map((s) => `${s.service}:${s.action}`),
      ['db:unchanged', 'web:recreate'],
    );
    assert.deepEqual(brief(result.steps), [
      'waitFor app.web.next update_healthy',
      'rename app.web.next -> app.web',
    ]);
  });

  it('after a crash mid start-first update, gates the new container before the old one goes', () => {
    const changed = { ...web, configHash: 'hash-web-v2' };
    const next = runningAs(changed, 'app', { id: 'id-next', name: 'app.web.next' });
    const result = plan({
      desired: desiredState(deployment('app', [db, changed])),
      current: current([runningAs(db), runningAs(web), next]),
      localImages: all,
    });
    assert.deepEqual(brief(result.steps), [
      'waitFor app.web.next update_healthy',
      'stopContainer id-app.web',
      'removeContainer id-app.web',
      'rename app.web.next -> app.web',
    ]);
  });

  it('starts a container that was created but never started (a crash between the two)', () => {
    const created = runningAs(web, 'app', { state: 'created' });
    const result = plan({
      desired: desiredState(deployment('app', [db, web])),
      current: current([runningAs(db), created]),
      localImages: all,
    });
    assert.deepEqual(brief(result.steps), [
      'startContainer app.web',
      'waitFor app.web update_healthy',
    ]);
  });

  it('gates every service again when the last apply of the deployment was interrupted', () => {
    const result = plan({
      desired: desiredState(deployment('app', [db, web])),
      current: current(),
      localImages: all,
      ungated: new Set(['app']),
    });
    assert.deepEqual(brief(result.steps), [
      'waitFor app.db update_healthy',
      'waitFor app.web update_healthy',
    ]);
    assert.deepEqual(
      result.services.map((s) => s.action),
      ['verify', 'verify'],
    );
  });

  it('makes dependents wait for an adopted `.next` container', () => {
    const api = service('api', { dependsOn: [{ service: 'web', condition: 'service_healthy' }] });
    const changed = { ...web, configHash: 'hash-web-v2' };
    const next = runningAs(changed, 'app', { id: 'id-next', name: 'app.web.next' });
    const result = plan({
      desired: desiredState(deployment('app', [changed, api])),
      current: current([runningAs(web), next]),
      localImages: new Set([web.image, api.image]),
    });
    const steps = brief(result.steps);
    assert.ok(
      steps.indexOf('waitFor app.web service_healthy') < steps.indexOf('createContainer app.api'),
      steps.join('\n'),
    );
  });

  it('never touches containers of other namespaces or unmanaged ones (they are not in its engine state)', () => {
    const result = plan({
      desired: desiredState(deployment('app', [db, web])),
      current: current(),
      localImages: all,
      namespace: 'floor-2',
    });
    assert.ok(
      result.steps.every((s) => !('containerId' in s)),
      'nothing of the un-namespaced device is stopped or removed',
    );
  });
});

describe('engine names cannot collide, and nothing foreign is adopted', () => {
  const withData = (tenant?: string) =>
    deployment('labs', [service('db', { mounts: [dataMount] }, 'labs')], {
      ...(tenant === undefined ? {} : { tenant }),
      networks: [],
      volumes: [{ name: 'x-data', engineName: scopedName(tenant, 'labs', 'x-data') }],
    });
  const dataMount = { type: 'volume' as const, source: 'x-data', target: '/data', readOnly: false };
  const createdVolumes = (steps: readonly Step[]) =>
    steps.filter((s) => s.action === 'createVolume').map((s) => s.engineName);
  const mountedVolume = (steps: readonly Step[]) => {
    const create = steps.find((s) => s.action === 'createContainer');
    return create?.action === 'createContainer' ? create.context.volumes['x-data'] : undefined;
  };

  it('gives distinct (tenant, deployment, object) distinct names', () => {
    const names = [
      scopedName('acme', 'labs', 'x-data'),
      scopedName('acme-labs', 'x', 'data'),
      scopedName(undefined, 'acme-labs-x', 'data'),
      scopedName('acme', 'labs-x', 'data'),
    ];
    assert.equal(new Set(names).size, names.length, names.join(' '));
    assert.equal(engineName('gw-1', scopedName('acme', 'labs', 'x-data')), 'gw-1.acme_labs.x-data');
  });

  it('does not adopt a volume under its name whose labels name another tenant', () => {
    const result = plan({
      desired: desiredState(withData('acme')),
      current: {
        containers: [],
        networks: [],
        volumes: [
          { name: 'acme_labs.x-data', deployment: 'labs', tenant: 'evil', object: 'x-data' },
        ],
      },
    });
    // Planned as new: the engine step refuses the taken name instead of mounting foreign data.
    assert.deepEqual(createdVolumes(result.steps), ['acme_labs.x-data']);
  });

  it('removes containers of the deployment name left by another tenant, never adopting them', () => {
    const db = service('db', { containerName: scopedName('acme', 'labs', 'db') }, 'labs');
    const result = plan({
      desired: desiredState(deployment('labs', [db], { tenant: 'acme', networks: [] })),
      current: {
        containers: [runningAs(db, 'labs', { tenant: 'evil', id: 'evil-db' })],
        networks: [],
        volumes: [],
      },
    });
    assert.deepEqual(brief(result.steps).slice(1, 4), [
      'stopContainer evil-db',
      'removeContainer evil-db',
      'createContainer acme_labs.db',
    ]);
  });

  describe('a gateway upgraded from the earlier dash-joined names', () => {
    const legacyVolume = { name: 'gw-acme-labs-x-data', deployment: 'labs' };
    const oldDb = (tenant?: string) => ({
      ...runningAs(service('db', { mounts: [dataMount] }, 'labs'), 'labs', {
        name: 'gw-acme-labs-db',
        configHash: 'hash-before-upgrade',
      }),
      ...(tenant === undefined ? {} : { tenant }),
    });

    it('keeps using its volume, so the data stays', () => {
      const result = plan({
        desired: desiredState(withData('acme')),
        namespace: 'gw',
        current: { containers: [oldDb('acme')], networks: [], volumes: [legacyVolume] },
      });
      assert.deepEqual(createdVolumes(result.steps), []);
      assert.equal(mountedVolume(result.steps), 'gw-acme-labs-x-data');
    });

    it('adopts the old volume only while the same tenant runs the deployment here', () => {
      for (const containers of [[], [oldDb('acme-labs')], [oldDb()]]) {
        const result = plan({
          desired: desiredState(withData('acme')),
          namespace: 'gw',
          current: { containers, networks: [], volumes: [legacyVolume] },
        });
        assert.equal(mountedVolume(result.steps), 'gw.acme_labs.x-data');
      }
    });

    it('never adopts an old volume labelled with another deployment', () => {
      const result = plan({
        desired: desiredState(withData('acme')),
        namespace: 'gw',
        current: {
          containers: [oldDb('acme')],
          networks: [],
          volumes: [{ ...legacyVolume, deployment: 'x' }],
        },
      });
      assert.equal(mountedVolume(result.steps), 'gw.acme_labs.x-data');
    });
  });
});
