// Every example's build contexts build on this machine with a locally made base image, push to
// the test registries (open and basic-auth), and the BMS collector runs and turns healthy.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually } from '../helpers/eventually.js';
import { buildImage, docker, pushImage } from '../helpers/images.js';
import { repoRoot } from '../helpers/run-cli.js';
import { testEnv } from '../helpers/test-env.js';

const examples = join(repoRoot, 'fleet-examples');

async function registryTags(
  registry: string,
  repository: string,
  auth?: string,
): Promise<string[]> {
  const response = await fetch(
    `http://${registry}/v2/${repository}/tags/list`,
    auth ? { headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } } : {},
  );
  if (!response.ok) return [];
  return ((await response.json()) as { tags: string[] }).tags;
}

describe('example build contexts', () => {
  const tag = `t${process.pid}`;

  it('build with BASE set to the local busybox image and push to the open registry', async () => {
    for (const example of ['bms', 'smart-mall', 'multi-tenant']) {
      for (const app of await readdir(join(examples, example, 'apps'))) {
        const image = `${testEnv.registry}/examples/${example}-${app}:${tag}`;
        await buildImage(join(examples, example, 'apps', app), image, { BASE: testEnv.baseImage });
        await pushImage(image);
        assert.ok(
          (await registryTags(testEnv.registry, `examples/${example}-${app}`)).includes(tag),
          `${image} is in the registry`,
        );
      }
    }
  });

  it('build the AGILE services on the shared runtime image, sharing its layers', async () => {
    const runtime = `${testEnv.registry}/examples/agile-runtime:${tag}`;
    await buildImage(join(examples, 'agile-gateway/apps/runtime'), runtime, {
      BASE: testEnv.baseImage,
    });
    const runtimeLayers = (await docker.getImage(runtime).inspect()).RootFS.Layers ?? [];
    for (const app of ['message-bus', 'core', 'ble-adapter', 'flow-ui']) {
      const image = `${testEnv.registry}/examples/agile-${app}:${tag}`;
      await buildImage(join(examples, 'agile-gateway/apps', app), image, { RUNTIME: runtime });
      const layers = (await docker.getImage(image).inspect()).RootFS.Layers ?? [];
      assert.deepEqual(
        layers.slice(0, runtimeLayers.length),
        runtimeLayers,
        `${app} starts with the runtime's layers`,
      );
      assert.equal(
        layers.length,
        runtimeLayers.length + 1,
        `${app} adds exactly one application layer`,
      );
    }
  });

  it('push to the basic-auth registry only with credentials', async () => {
    const image = `${testEnv.authRegistry}/examples/collector:${tag}`;
    await buildImage(join(examples, 'bms/apps/collector'), image, { BASE: testEnv.baseImage });
    await assert.rejects(
      pushImage(image),
      /no basic auth credentials|unauthorized|authentication required/i,
    );
    const { username, password } = testEnv.authRegistryUser;
    await pushImage(image, { username, password, serveraddress: testEnv.authRegistry });
    assert.ok(
      (
        await registryTags(testEnv.authRegistry, 'examples/collector', `${username}:${password}`)
      ).includes(tag),
    );
  });
});

describe('the BMS collector image', () => {
  const name = `ferry-test-collector-${process.pid}`;
  after(() =>
    docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined),
  );

  it('runs and reports healthy through its healthcheck', async () => {
    const image = `${testEnv.registry}/examples/bms-collector:run${process.pid}`;
    await buildImage(join(examples, 'bms/apps/collector'), image, { BASE: testEnv.baseImage });
    const container = await docker.createContainer({
      name,
      Image: image,
      Env: ['FLOOR=1', 'SENSORS=temperature,smoke', 'POLL_SECONDS=1'],
      Healthcheck: {
        Test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/health'],
        Interval: 500_000_000,
        Retries: 3,
      },
    });
    await container.start();
    await eventually(
      'the container healthy',
      async () => (await container.inspect()).State.Health?.Status === 'healthy',
      { timeoutMs: 15_000, everyMs: 250 },
    );
  });
});
