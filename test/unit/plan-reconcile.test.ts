import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineState } from '../../daemon/src/plan/engine-state.js';
import { planReconcile, type PlanInput } from '../../daemon/src/plan/plan-reconcile.js';
import type { Step } from '../../daemon/src/plan/steps.js';
import { deployment, desiredState, runningAs, service } from '../helpers/plan-builders.js';

const empty: EngineState = { containers: [], networks: [], volumes: [] };

function plan(input: Partial<PlanInput> & Pick<PlanInput, 'desired'>) {
  return planReconcile({ current: empty, namespace: '', localImages: new Set(), ...input });
}

/** Steps as short strings, e.g. `createContainer app-web`, for readable assertions. */
function brief(steps: readonly Step[]): string[] {
  return steps.map((step) => {
    switch (step.action) {
      case 'pullImage':
        return `pull ${step.image.split('@')[0]}`;
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
      deployment('app', [web, db], { volumes: [{ name: 'data', engineName: 'app-data' }] }),
    );
    const result = plan({ desired, namespace: 'floor-1' });
    assert.deepEqual(brief(result.steps), [
      'pull registry.test/db',
      'pull registry.test/web',
      'createNetwork floor-1-app-default',
      'createVolume floor-1-app-data',
      'createContainer floor-1-app-db',
      'startContainer floor-1-app-db',
      'waitFor floor-1-app-db service_healthy',
      'createContainer floor-1-app-web',
      'startContainer floor-1-app-web',
      'waitFor floor-1-app-db update_healthy',
      'waitFor floor-1-app-web update_healthy',
    ]);
    assert.deepEqual(
      result.services.map((s) => `${s.service}:${s.action}`),
      ['db:create', 'web:create'],
    );
  });

  it('does not pull images the engine already has', () => {
    const web = service('web');
    const result = plan({
      desired: desiredState(deployment('app', [web])),
      localImages: new Set([web.image]),
    });
    assert.ok(!result.steps.some((s) => s.action === 'pullImage'));
  });
});

describe('planReconcile on a running device', () => {
  const db = service('db');
  const web = service('web');
  const current = (containers = [runningAs(db), runningAs(web)]): EngineState => ({
    containers,
    networks: [{ name: 'app-default', deployment: 'app' }],
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
      'createContainer app-web-next',
      'startContainer app-web-next',
      'waitFor app-web-next update_healthy',
      'stopContainer id-app-web',
      'removeContainer id-app-web',
      'rename app-web-next -> app-web',
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
      'stopContainer id-app-web',
      'removeContainer id-app-web',
      'createContainer app-web',
      'startContainer app-web',
      'waitFor app-web update_healthy',
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

  it('removes a service that left the stack, and never removes volumes', () => {
    const result = plan({
      desired: desiredState(deployment('app', [db])),
      current: { ...current(), volumes: [{ name: 'app-data', deployment: 'app' }] },
      localImages: all,
    });
    assert.deepEqual(brief(result.steps), [
      'stopContainer id-app-web',
      'removeContainer id-app-web',
    ]);
    assert.deepEqual(
      result.services.map((s) => `${s.service}:${s.action}`),
      ['db:unchanged', 'web:remove'],
    );
  });

  it('removes a deployment that left the fleet, with its networks', () => {
    const result = plan({ desired: desiredState(), current: current(), localImages: all });
    assert.deepEqual(brief(result.steps), [
      'stopContainer id-app-db',
      'removeContainer id-app-db',
      'stopContainer id-app-web',
      'removeContainer id-app-web',
      'removeNetwork app-default',
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
      name: 'app-web-next',
    });
    const result = plan({
      desired: desiredState(deployment('app', [db, web])),
      current: current([runningAs(db), runningAs(web), leftover]),
      localImages: all,
    });
    assert.deepEqual(brief(result.steps), ['stopContainer id-next', 'removeContainer id-next']);
  });

  it('adopts a finished `-next` container when the old one is already gone', () => {
    const next = runningAs(web, 'app', { id: 'id-next', name: 'app-web-next' });
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
      'rename app-web-next -> app-web',
      'waitFor app-web update_healthy',
    ]);
  });

  it('finishes an update interrupted after the new container passed its gate', () => {
    const changed = { ...web, configHash: 'hash-web-v2' };
    const next = runningAs(changed, 'app', { id: 'id-next', name: 'app-web-next' });
    const result = plan({
      desired: desiredState(deployment('app', [db, changed])),
      current: current([runningAs(db), runningAs(web), next]),
      localImages: all,
    });
    assert.deepEqual(brief(result.steps), [
      'stopContainer id-app-web',
      'removeContainer id-app-web',
      'rename app-web-next -> app-web',
      'waitFor app-web update_healthy',
    ]);
  });

  it('starts a container that was created but never started (a crash between the two)', () => {
    const created = runningAs(web, 'app', { state: 'created' });
    const result = plan({
      desired: desiredState(deployment('app', [db, web])),
      current: current([runningAs(db), created]),
      localImages: all,
    });
    assert.deepEqual(brief(result.steps), ['startContainer app-web']);
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
