// A bad commit never takes down what a gateway runs: invalid fleets, missing images and
// unhealthy updates leave (or bring back) the last good containers, and say why.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
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
import { writeJsonAtomic } from '#kernel/atomic-json.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot, runCli } from '../helpers/run-cli.js';
import { testEnv } from '../helpers/test-env.js';

const exec = promisify(execFile);
let image: string;
before(async () => {
  image = await pushWebAppImage();
});

async function fleetFor(name: string, device: string, compose: string, deploymentExtra = '') {
  const repo = await createFleetRepo(name, `${repoRoot}/fleet-examples/bms/apps`);
  await writeFleet(repo.workTree, {
    'fleet.yaml': fleetYaml(
      `  - name: svc\n    stack: stacks/svc\n    target: { devices: [${device}] }\n    update: { healthTimeout: 8s }\n${deploymentExtra}`,
    ),
    'stacks/svc/compose.yaml': compose,
  });
  return repo;
}

const healthy = (env: string, more = '') =>
  `services:\n  app:\n    image: IMAGE\n    environment: { V: "${env}" }\n    healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"], interval: 1s, retries: 2 }\n${more}`;

describe('bad commits keep the old containers running', () => {
  const device = uniqueDevice('bad');
  let repo: FleetRepo;
  let setup: FerrydSetup;
  let runningId: string | undefined;
  before(async () => {
    repo = await fleetFor('bad', device, healthy('1').replace('IMAGE', image));
    setup = await ferrydConfig(device, repo.url);
    await repo.commit('good');
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout);
    runningId = (await deviceContainers(device)).get(`${device}.svc.app`)?.id;
  });
  after(async () => {
    await cleanDevice(device);
    await repo?.remove();
  });

  const assertStillRunning = async () => {
    const app = (await deviceContainers(device)).get(`${device}.svc.app`);
    assert.equal(app?.id, runningId, 'the same container');
    assert.equal(app?.state, 'running');
  };

  it('rejects unparseable YAML, naming file and line', async () => {
    await writeFleet(repo.workTree, {
      'stacks/svc/compose.yaml': 'services:\n  app:\n    image: [unclosed\n',
    });
    const commit = await repo.commit('broken yaml');
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 1);
    assert.equal(report.rejected?.revision, commit);
    assert.equal(report.rejected?.problems[0]?.file, 'stacks/svc/compose.yaml');
    assert.ok((report.rejected?.problems[0]?.line ?? 0) >= 3);
    await assertStillRunning();
  });

  it('rejects a schema error, naming the field', async () => {
    await writeFleet(repo.workTree, {
      'stacks/svc/compose.yaml':
        healthy('2').replace('IMAGE', image) + '    container_nam: fixed\n',
    });
    await repo.commit('unsupported key');
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 1);
    assert.match(
      report.errors[0] ?? '',
      /stacks\/svc\/compose\.yaml:\d+:5 services\.app\.container_nam: unknown key 'container_nam' \(did you mean 'container_name'\?\)/,
    );
    await assertStillRunning();
  });

  it('reports a missing image and touches nothing', async () => {
    const missing = `${testEnv.registry}/ferry-test/does-not-exist@sha256:${'0'.repeat(64)}`;
    await writeFleet(repo.workTree, {
      'stacks/svc/compose.yaml': healthy('3').replace('IMAGE', missing),
    });
    await repo.commit('missing image');
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 1);
    assert.match(report.errors.join('\n'), /does-not-exist/);
    await assertStillRunning();
  });
});

describe('health-gated updates', () => {
  const device = uniqueDevice('health');
  let repo: FleetRepo;
  let setup: FerrydSetup;
  before(async () => {
    repo = await fleetFor('health', device, healthy('good').replace('IMAGE', image));
    setup = await ferrydConfig(device, repo.url);
    await repo.commit('good');
    assert.equal((await ferrydOnce(setup)).result.code, 0);
  });
  after(async () => {
    await cleanDevice(device);
    await repo?.remove();
  });

  it('rolls an update that fails its healthcheck back to the last good version, and says why', async () => {
    const good = (await deviceContainers(device)).get(`${device}.svc.app`);
    // It says why on its output before its healthcheck fails: the operator reads that first.
    const failing = `services:\n  app:\n    image: ${image}\n    environment: { V: "bad" }\n    command: ["sh", "-c", "seq 1 300; sleep 0.3; echo 'fatal: DB_URL is not set' >&2; sleep 600"]\n    healthcheck: { test: ["CMD", "false"], interval: 1s, retries: 1 }\n`;
    await writeFleet(repo.workTree, { 'stacks/svc/compose.yaml': failing });
    const bad = await repo.commit('unhealthy update');
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 1);
    const deployment = report.deployments.find((d) => d.name === 'svc');
    assert.equal(deployment?.status, 'rolled-back');
    assert.match(deployment?.reason ?? '', /failed its healthcheck/);
    // Its last 200 lines of output were kept before the rollback removed it.
    const log = deployment?.failureLog;
    assert.equal(log?.service, 'app');
    assert.equal(log?.lines.length, 200);
    assert.equal(log?.lines.at(-1), 'fatal: DB_URL is not set');
    assert.equal(log?.lines[0], '102');
    const containers = await deviceContainers(device);
    assert.deepEqual([...containers.keys()], [`${device}.svc.app`]);
    const app = containers.get(`${device}.svc.app`);
    assert.equal(app?.state, 'running');
    assert.equal(
      app?.labels['ferry.config-hash'],
      good?.labels['ferry.config-hash'],
      'the good version runs again',
    );
    assert.ok(app?.env.includes('V=good'));

    // The same bad revision is not retried in a loop.
    const again = await ferrydOnce(setup);
    assert.equal(again.report.revision, bad);
    assert.equal(again.report.deployments[0]?.status, 'held-after-failure');
    assert.match(again.report.deployments[0]?.until ?? '', /^\d{4}-/);
    assert.deepEqual(again.report.deployments[0]?.failureLog, log, 'kept while it is held');
    // ...and the held pass says why it is not converged, with the failure's code.
    assert.match(again.report.errors.join('\n'), /^svc: held after a failure until \d{4}-/);
    assert.equal(again.report.failures[0]?.code, again.report.deployments[0]?.code);
    assert.equal((await deviceContainers(device)).get(`${device}.svc.app`)?.id, app?.id);
  });
});

describe('update order', () => {
  const device = uniqueDevice('port');
  const port = 20_000 + (process.pid % 10_000);
  let repo: FleetRepo;
  let setup: FerrydSetup;
  after(async () => {
    await cleanDevice(device);
    await repo?.remove();
  });

  it('falls back to stop-first when a start-first update reuses a host port', async () => {
    const compose = (v: string) =>
      healthy(v, `    ports: ["127.0.0.1:${port}:8080"]\n`).replace('IMAGE', image);
    // The deployment keeps the default update order, start-first.
    repo = await fleetFor('port', device, compose('1'));
    setup = await ferrydConfig(device, repo.url);
    await repo.commit('v1');
    assert.equal((await ferrydOnce(setup)).result.code, 0);
    await writeFleet(repo.workTree, { 'stacks/svc/compose.yaml': compose('2') });
    await repo.commit('v2');
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(report.deployments[0]?.services[0]?.action, 'recreate');
    // The summary says the service was down meanwhile, and why.
    assert.equal(report.deployments[0]?.services[0]?.stopFirst, `it publishes host port ${port}`);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal((await response.text()).trim(), 'ok');
    assert.ok((await deviceContainers(device)).get(`${device}.svc.app`)?.env.includes('V=2'));
  });
});

describe('the fleet source', () => {
  const device = uniqueDevice('source');
  let repo: FleetRepo;
  after(async () => {
    await cleanDevice(device);
    await repo?.remove();
  });

  it('reads a repository behind basic auth with the password from a file, never logging it', async () => {
    repo = await createFleetRepo('private-fleet', `${repoRoot}/fleet-examples/bms/apps`, {
      auth: true,
    });
    await writeFleet(repo.workTree, {
      'fleet.yaml': fleetYaml(
        `  - name: svc\n    stack: stacks/svc\n    target: { devices: [${device}] }\n`,
      ),
      'stacks/svc/compose.yaml': healthy('1').replace('IMAGE', image),
    });
    await repo.commit('private');
    const setup = await ferrydConfig(device, repo.url);
    const passwordFile = join(setup.stateDir, '..', 'git-password');
    await writeFile(passwordFile, `${testEnv.gitUser.password}\n`);
    const config = await readFile(setup.configFile, 'utf8');
    await writeFile(
      setup.configFile,
      config.replace(
        'interval: 1s }',
        `interval: 1s, auth: { username: ${testEnv.gitUser.username}, passwordFile: ${passwordFile} } }`,
      ),
    );
    const run = await runCli('ferryd', ['once', '--config', setup.configFile]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(
      !(run.stdout + run.stderr).includes(testEnv.gitUser.password),
      'the password never appears in output',
    );

    // Offline: the source cannot be reached; the device keeps running what it has.
    await writeFile(setup.configFile, config.replace(repo.url, 'http://127.0.0.1:9/fleet.git'));
    const offline = await ferrydOnce(setup);
    assert.equal(offline.result.code, 1);
    assert.match(
      offline.report.errors[0] ?? '',
      /cannot reach http:\/\/127\.0\.0\.1:9\/fleet\.git/,
    );
    assert.equal((await deviceContainers(device)).get(`${device}.svc.app`)?.state, 'running');
  });
});

describe('a full disk while applying', () => {
  const device = uniqueDevice('enospc');
  let repo: FleetRepo;
  let setup: FerrydSetup;
  let stateDir: string;
  after(async () => {
    await cleanDevice(device);
    await exec('umount', [stateDir]).catch(() => undefined);
    await repo?.remove();
  });

  it('says so plainly, leaves no temporary file, and the stack runs on', async () => {
    repo = await fleetFor('enospc', device, healthy('1').replace('IMAGE', image));
    setup = await ferrydConfig(device, repo.url);
    stateDir = setup.stateDir;
    // The state directory on an 8 MiB file system of its own, filled up after the first pass.
    await mkdir(stateDir, { recursive: true });
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', stateDir]);
    const config = await readFile(setup.configFile, 'utf8');
    await writeFile(
      setup.configFile,
      config.replace(`state: { dir: ${stateDir} }`, `state: { dir: ${stateDir}, reserveBytes: 0 }`),
    );
    await repo.commit('v1');
    const first = await ferrydOnce(setup);
    assert.equal(first.result.code, 0, first.result.stdout + first.result.stderr);
    const running = (await deviceContainers(device)).get(`${device}.svc.app`);
    await exec('sh', ['-c', `cat /dev/zero > ${stateDir}/filler || true`]);

    await writeFleet(repo.workTree, {
      'stacks/svc/compose.yaml': healthy('2').replace('IMAGE', image),
    });
    await repo.commit('v2 on a full disk');
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 1);
    assert.match(report.errors.join('\n'), /disk is full|ENOSPC|no space left/i);
    assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
    assert.deepEqual(
      (await readdir(stateDir)).filter((name) => name.endsWith('.tmp')),
      [],
    );
    const now = (await deviceContainers(device)).get(`${device}.svc.app`);
    assert.equal(now?.id, running?.id);
    assert.equal(now?.state, 'running');
  });

  it('keeps the old state file whole when the new one does not fit', async () => {
    const dir = join(setup.stateDir, '..', 'tiny');
    await mkdir(dir, { recursive: true });
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    try {
      const path = join(dir, 'state.json');
      await writeJsonAtomic(path, { version: 1, note: 'old' });
      await assert.rejects(
        writeJsonAtomic(path, { version: 1, note: 'x'.repeat(200_000) }),
        /cannot write .*state.json: the disk is full \(ENOSPC\)/,
      );
      assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { version: 1, note: 'old' });
      assert.deepEqual(await readdir(dir), ['state.json']);
    } finally {
      await exec('umount', [dir]);
    }
  });
});
