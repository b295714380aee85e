// ferryd once against the real engine, registry and git server: converge, change, remove,
// and never touch what is not Ferry's.
import assert from 'node:assert/strict';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { docker } from '../helpers/images.js';
import {
  cleanDevice,
  deviceContainers,
  ferrydConfig,
  ferrydOnce,
  fleetYaml,
  pushWebAppImage,
  uniqueDevice,
  writeFleet,
  type FerrydSetup,
} from '../helpers/ferryd-harness.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot } from '../helpers/run-cli.js';

const device = uniqueDevice('gw');
let repo: FleetRepo;
let setup: FerrydSetup;
let image: string;
const unmanaged = `${device}-unmanaged`;

const stack = (env: string, withWorker = true) => `services:
  api:
    image: ${image}
    environment: { MODE: "${env}" }
    volumes: ["data:/data"]
    healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"], interval: 1s, retries: 3 }
${withWorker ? `  worker:\n    image: ${image}\n    command: ["sleep", "3600"]\n    volumes: ["cache:/cache"]\n    depends_on: { api: { condition: service_healthy } }\n` : ''}volumes:
  data: {}
  cache: {}
`;

before(async () => {
  image = await pushWebAppImage();
  repo = await createFleetRepo('reconcile', `${repoRoot}/fleet-examples/bms/devices`);
  await rm(`${repo.workTree}/floor-0.yaml`);
  await writeFleet(repo.workTree, {
    'fleet.yaml': fleetYaml(
      `  - name: web\n    stack: stacks/web\n    target: { devices: [${device}] }\n    update: { healthTimeout: 30s }\n`,
    ),
    'stacks/web/compose.yaml': stack('one'),
  });
  setup = await ferrydConfig(device, repo.url);
  await docker
    .createContainer({ name: unmanaged, Image: image, Cmd: ['sleep', '3600'] })
    .then((c) => c.start());
});

after(async () => {
  await docker
    .getContainer(unmanaged)
    .remove({ force: true })
    .catch(() => undefined);
  await cleanDevice(device);
  await repo?.remove();
});

describe('ferryd once', () => {
  let first: Map<string, { id: string }>;

  it('converges a pushed commit: containers running, labelled with the revision', async () => {
    const commit = await repo.commit('web v1');
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(report.converged, true);
    assert.equal(report.revision, commit);
    assert.deepEqual(
      report.deployments.map((d) => [d.name, d.status]),
      [['web', 'updated']],
    );
    const containers = await deviceContainers(device);
    assert.deepEqual([...containers.keys()].sort(), [`${device}.web.api`, `${device}.web.worker`]);
    for (const c of containers.values()) {
      assert.equal(c.state, 'running');
      assert.equal(c.labels['ferry.managed'], 'true');
      assert.equal(c.labels['ferry.revision'], commit);
      assert.equal(c.labels['ferry.deployment'], 'web');
      assert.match(c.labels['ferry.config-hash'] ?? '', /^[0-9a-f]{64}$/);
    }
    assert.ok(containers.get(`${device}.web.api`)?.env.includes('MODE=one'));
    first = containers;
  });

  it('changes nothing when nothing changed', async () => {
    await repo.commit('empty commit');
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(
      report.deployments.map((d) => d.status),
      ['unchanged'],
    );
    const now = await deviceContainers(device);
    assert.equal(now.get(`${device}.web.api`)?.id, first.get(`${device}.web.api`)?.id);
  });

  it('writes nothing to the state directory on a pass where nothing changed', async () => {
    const path = join(setup.stateDir, 'state.json');
    const before = await stat(path);
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal((await stat(path)).mtimeMs, before.mtimeMs);
  });

  it('recreates only the service whose environment changed', async () => {
    await writeFleet(repo.workTree, { 'stacks/web/compose.yaml': stack('two') });
    await repo.commit('api MODE=two');
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const now = await deviceContainers(device);
    assert.notEqual(
      now.get(`${device}.web.api`)?.id,
      first.get(`${device}.web.api`)?.id,
      'api was recreated',
    );
    assert.equal(
      now.get(`${device}.web.worker`)?.id,
      first.get(`${device}.web.worker`)?.id,
      'worker was left alone',
    );
    assert.ok(now.get(`${device}.web.api`)?.env.includes('MODE=two'));
    assert.equal(now.size, 2, 'no .next container left behind');
  });

  it('removes a service that left the stack and keeps its named volume', async () => {
    await writeFleet(repo.workTree, { 'stacks/web/compose.yaml': stack('two', false) });
    await repo.commit('drop worker');
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual([...(await deviceContainers(device)).keys()], [`${device}.web.api`]);
    const volumes = (await docker.listVolumes()).Volumes?.map((v) => v.Name) ?? [];
    assert.ok(volumes.includes(`${device}.web.cache`), 'the worker volume survives');
    assert.ok(volumes.includes(`${device}.web.data`));
  });

  it('never touched the unmanaged container using the same image', async () => {
    const info = await docker.getContainer(unmanaged).inspect();
    assert.equal(info.State.Status, 'running');
    assert.equal(info.RestartCount, 0);
  });
});
