// The ferryd image (Dockerfile at the repository root), built on a locally made Node.js base,
// runs ferryd in a container with the Docker socket, state and config mounted, and converges a
// device from a real fleet repository.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  cleanDevice,
  deviceContainers,
  ferrydConfig,
  fleetYaml,
  pushWebAppImage,
  uniqueDevice,
  writeFleet,
} from '../helpers/ferryd-harness.js';
import { FERRYD_NODE_FLAGS } from '../../daemon/src/cli/node-flags.js';
import { eventually } from '../helpers/eventually.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot } from '../helpers/run-cli.js';
import { testEnv } from '../helpers/test-env.js';

const exec = promisify(execFile);
const nodeBase = testEnv.nodeImage;
const image = `ferry-test/ferryd:${process.pid}`;
const name = `ferryd-image-${process.pid}`;
const device = uniqueDevice('image');
let repo: FleetRepo | undefined;

after(async () => {
  await exec('docker', ['rm', '-f', name]).catch(() => undefined);
  await cleanDevice(device);
  await exec('docker', ['rmi', '-f', image]).catch(() => undefined);
  await repo?.remove();
});

async function waitFor(what: string, check: () => Promise<boolean>, ms = 90_000): Promise<void> {
  await eventually(what, check, {
    timeoutMs: ms,
    everyMs: 500,
    detail: async () => {
      const logs = await exec('docker', ['logs', '--tail', '40', name]).catch(() => undefined);
      return `ferryd logs:\n${logs?.stdout}${logs?.stderr}`;
    },
  });
}

describe('the ferryd image', () => {
  it('builds on a local base and converges a device from inside a container', async () => {
    await exec(
      'docker',
      ['build', '-q', '--build-arg', `BASE=${nodeBase}`, '-t', image, repoRoot],
      {
        timeout: 300_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const inspect = JSON.parse(
      (await exec('docker', ['image', 'inspect', image, '--format', '{{json .Config}}'])).stdout,
    ) as { Healthcheck?: { Test: string[] }; Entrypoint: string[] };
    assert.deepEqual(inspect.Entrypoint, [
      'node',
      ...FERRYD_NODE_FLAGS,
      '/opt/ferry/bin/ferryd.js',
    ]);
    assert.match(inspect.Healthcheck?.Test.join(' ') ?? '', /ferryd\.js healthcheck --config /);
    // Only what runs: no TypeScript sources, no dev dependencies, no tests in the runtime stage.
    const check = [
      'cd /opt/ferry',
      'for gone in node_modules/typescript node_modules/eslint node_modules/prettier dist/test dist/builder daemon test; do',
      '  [ ! -e "$gone" ] || { echo "$gone"; exit 1; }',
      'done',
      'ls node_modules/dockerode/package.json dist/daemon/src/cli/ferryd.js',
    ].join('\n');
    await exec('docker', ['run', '--rm', '--entrypoint', 'sh', image, '-c', check]);

    const app = await pushWebAppImage();
    repo = await createFleetRepo('image', `${repoRoot}/fleet-examples/bms/apps`);
    await writeFleet(repo.workTree, {
      'fleet.yaml': fleetYaml(
        `  - name: web\n    stack: stacks/web\n    target: { devices: [${device}] }\n`,
      ),
      'stacks/web/compose.yaml': `services:\n  app:\n    image: ${app}\n`,
    });
    await repo.commit('web app');
    const setup = await ferrydConfig(device, repo.url);
    // The config names host paths (state dir); mount its folder at the same path.
    const dir = dirname(setup.configFile);
    await exec('docker', [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'host',
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      '-v',
      `${dir}:${dir}`,
      image,
      'run',
      '--config',
      setup.configFile,
    ]);

    await waitFor('the device to converge', async () => {
      const status = (await (await fetch(`http://127.0.0.1:${setup.apiPort}/status`)).json()) as {
        appliedRevision: string | null;
      };
      return status.appliedRevision !== null;
    });
    const container = (await deviceContainers(device)).get(`${device}.web.app`);
    assert.equal(container?.state, 'running');
    assert.equal(container?.labels['ferry.image'], app);
    // The image's HEALTHCHECK command, run as the engine would, with this test's ferryd.yaml: it
    // finds the API where api.listen puts it (not at the default port).
    await exec('docker', [
      'exec',
      name,
      'node',
      '/opt/ferry/bin/ferryd.js',
      'healthcheck',
      '--config',
      setup.configFile,
    ]);
  });
});
