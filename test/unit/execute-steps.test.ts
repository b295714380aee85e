// The executors against an engine in memory: each step does what it says, images come only from
// the fetch stage, and a failure stops the run with the step, the reason and the cause's code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import {
  executeSteps,
  StepFailedError,
  type ExecuteContext,
} from '../../daemon/src/apply/execute-steps.js';
import { planReconcile } from '../../daemon/src/plan/plan-reconcile.js';
import { LABEL } from '../../daemon/src/plan/labels.js';
import { FakeEngine, FakeImages, passThroughFiles } from '../helpers/fake-engine.js';
import { deployment, desiredState, service } from '../helpers/plan-builders.js';

const logger = pino({ level: 'silent' });
const clock = { now: () => 0, sleep: async () => undefined };

function context(engine: FakeEngine, images: FakeImages): ExecuteContext {
  return { engine, device: 'gw', logger, clock, images, files: passThroughFiles };
}

describe('executeSteps', () => {
  const web = service('web');
  const desired = desiredState(
    deployment('app', [web], { volumes: [{ name: 'data', engineName: 'app.data' }] }),
  );
  const plan = (images: FakeImages) =>
    planReconcile({
      current: { containers: [], networks: [], volumes: [] },
      desired,
      namespace: '',
      localImages: new Set([web.image].filter((i) => images.idOf(i))),
    });

  it('fetches missing images through the fetch stage, then creates from the imported ID', async () => {
    const engine = new FakeEngine();
    const images = new FakeImages();
    await executeSteps(plan(images).steps, context(engine, images));
    assert.deepEqual(images.fetched, [[web.image]]);
    const created = [...engine.containers.values()][0];
    assert.equal(created?.options.Image, `id-of-${web.image}`);
    assert.equal(created?.state, 'running');
    assert.deepEqual(engine.calls, [
      'network app.default',
      'volume app.data',
      'create app.web',
      'start app.web',
    ]);
  });

  it('labels networks and volumes with their owner and object', async () => {
    const engine = new FakeEngine();
    const images = new FakeImages([web.image]);
    await executeSteps(plan(images).steps, context(engine, images));
    assert.deepEqual(engine.volumes[0]?.labels, {
      [LABEL.managed]: 'true',
      [LABEL.device]: 'gw',
      [LABEL.deployment]: 'app',
      [LABEL.object]: 'data',
    });
  });

  it('stops at the first failure, with the step, the reason and the code of the cause', async () => {
    const engine = new FakeEngine(() => 'unhealthy');
    const images = new FakeImages([web.image]);
    const run = executeSteps(plan(images).steps, context(engine, images));
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof StepFailedError);
      assert.equal(error.step.action, 'waitFor');
      assert.equal(error.code, 'FERRY_HEALTH');
      assert.match(error.reason, /web: failed its healthcheck: check failed/);
      return true;
    });
  });

  it('reports an engine refusal as FERRY_ENGINE and runs nothing after it', async () => {
    const engine = new FakeEngine();
    const images = new FakeImages([web.image]);
    await executeSteps(plan(images).steps, context(engine, images));
    // The same plan again: the container name is taken.
    await assert.rejects(
      executeSteps(
        plan(images).steps.filter(
          (s) => s.action === 'createContainer' || s.action === 'startContainer',
        ),
        context(engine, images),
      ),
      (error: unknown) =>
        error instanceof StepFailedError &&
        error.code === 'FERRY_ENGINE' &&
        error.step.action === 'createContainer' &&
        /already in use/.test(error.reason),
    );
    assert.equal(engine.calls.filter((c) => c === 'start app.web').length, 1);
  });
});
