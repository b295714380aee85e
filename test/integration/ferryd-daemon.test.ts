// `ferryd run` as a long-running process: its API, a crash in the middle of an update, and a
// configuration edit picked up without a restart.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
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
import { eventually } from '../helpers/eventually.js';
import { FerrydProcess } from '../helpers/ferryd-process.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot, runCli } from '../helpers/run-cli.js';

let image: string;
const device = uniqueDevice('daemon');
const repos: FleetRepo[] = [];
let setup: FerrydSetup;
let daemon: FerrydProcess | undefined;

async function fleetRepo(name: string, deployment: string, compose: string): Promise<FleetRepo> {
  const repo = await createFleetRepo(name, `${repoRoot}/fleet-examples/bms/apps`);
  repos.push(repo);
  await writeFleet(repo.workTree, {
    'fleet.yaml': fleetYaml(
      `  - name: ${deployment}\n    stack: stacks/${deployment}\n    target: { devices: [${device}] }\n    update: { healthTimeout: 30s }\n`,
    ),
    [`stacks/${deployment}/compose.yaml`]: compose,
  });
  return repo;
}

/** The new version takes `delay` seconds to become healthy: long enough to kill ferryd meanwhile. */
const slowStack = (version: string, delay: number) => `services:
  app:
    image: ${image}
    command: ["sh", "-c", "sleep ${delay}; touch /tmp/ready; exec httpd -f -p 8080 -h /www"]
    environment: { VERSION: "${version}" }
    healthcheck: { test: ["CMD", "test", "-f", "/tmp/ready"], interval: 1s, retries: 30 }
`;

before(async () => {
  image = await pushWebAppImage();
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await cleanDevice(device);
  await Promise.all(repos.map((r) => r.remove()));
});

describe('ferryd run', () => {
  it('converges and serves /healthz, /status, /metrics and POST /sync', async () => {
    const repo = await fleetRepo('daemon', 'slow', slowStack('1', 0));
    const first = await repo.commit('v1');
    setup = await ferrydConfig(device, repo.url);
    daemon = new FerrydProcess(setup);
    await daemon.waitFor('v1 applied', (s) => s.appliedRevision === first);
    assert.equal((await fetch(`${daemon.api}/healthz`)).status, 200);
    const metrics = await (await fetch(`${daemon.api}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(`ferry_applied_revision_info\\{device="${device}",revision="${first}"\\} 1`),
    );
    assert.match(metrics, /ferry_containers\{device="[^"]+",state="running"\} 1/);
    assert.match(metrics, /ferry_sync_errors_total\{device="[^"]+"\} 0/);
    assert.match(
      metrics,
      /^ferry_build_info\{version="[^"]+",program="ferryd",device="[^"]+"\} 1$/m,
    );
    assert.match(metrics, /^ferry_pass_duration_seconds_count\{device="[^"]+"\} [1-9]/m);
    assert.match(
      metrics,
      /^ferry_deployment_status\{deployment="slow",status="updated",device="[^"]+"\} 1$/m,
    );
    assert.match(metrics, /^process_resident_memory_bytes\{device="[^"]+"\} \d+/m);
    // `ferryd status` asks the running daemon, as an operator would.
    const table = await runCli('ferryd', ['status', '--api', daemon.api]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(first.slice(0, 12)));
    // The image's HEALTHCHECK: the ferryd that ferryd.yaml describes answers on its api.listen.
    const health = await runCli('ferryd', ['healthcheck', '--config', setup.configFile]);
    assert.equal(health.code, 0, health.stderr);
    const json = await runCli('ferryd', ['status', '--api', daemon.api, '--json']);
    assert.equal((JSON.parse(json.stdout) as { appliedRevision: string }).appliedRevision, first);
    const passes = (await daemon.status())?.passes ?? 0;
    assert.equal((await fetch(`${daemon.api}/sync`, { method: 'POST' })).status, 202);
    await daemon.waitFor('a pass after POST /sync', (s) => s.passes > passes, 10_000);
    assert.match(daemon.logs, /"event":"deployment.updated"/);
  });

  it('converges after being killed with SIGKILL in the middle of an update', async () => {
    const repo = repos[0]!;
    await writeFleet(repo.workTree, { 'stacks/slow/compose.yaml': slowStack('2', 6) });
    const second = await repo.commit('v2, slow to become healthy');
    await fetch(`${daemon!.api}/sync`, { method: 'POST' });
    await eventually('the start-first update began', async () =>
      (await deviceContainers(device)).has(`${device}.slow.app.next`),
    );
    // While the health gate waits, /status says on which container and until when.
    const gated = await daemon!.waitFor('the gate in /status', (s) => s.gate !== undefined, 10_000);
    assert.equal(gated.gate?.service, 'app');
    assert.equal(gated.gate?.container, `${device}.slow.app.next`);
    assert.ok(Date.parse(gated.gate?.deadline ?? '') > Date.now());
    await daemon!.stop('SIGKILL');

    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(report.revision, second);
    const containers = await deviceContainers(device);
    assert.deepEqual(
      [...containers.keys()],
      [`${device}.slow.app`],
      'one container, no duplicate or orphan',
    );
    assert.ok(containers.get(`${device}.slow.app`)?.env.includes('VERSION=2'));
    assert.equal(containers.get(`${device}.slow.app`)?.state, 'running');
  });

  it('picks up an edit of ferryd.yaml without a restart', async () => {
    daemon = new FerrydProcess(setup);
    await daemon.waitFor('converged again', (s) => s.lastPass?.converged === true);
    const other = await fleetRepo('other', 'other', slowStack('other', 0));
    const otherCommit = await other.commit('another fleet');
    const config = await readFile(setup.configFile, 'utf8');
    await writeFile(setup.configFile, config.replace(repos[0]!.url, other.url));
    await daemon.waitFor('the other fleet applied', (s) => s.appliedRevision === otherCommit);
    assert.match(daemon.logs, /"event":"config.reloaded"/);
    assert.deepEqual([...(await deviceContainers(device)).keys()], [`${device}.other.app`]);

    await writeFile(setup.configFile, 'source: { url: 42 }\n');
    await eventually('the bad edit rejected', () => /"event":"config.rejected"/.test(daemon!.logs));
    assert.equal(
      (await daemon.status())?.appliedRevision,
      otherCommit,
      'a bad edit keeps the running configuration',
    );
  });
});

describe('POST /sync during a pass', () => {
  const syncDevice = uniqueDevice('sync');
  let syncDaemon: FerrydProcess | undefined;
  after(async () => {
    await syncDaemon?.stop('SIGKILL');
    await cleanDevice(syncDevice);
  });

  it('runs the next pass as soon as the current one ends, not an interval later', async () => {
    const repo = await createFleetRepo('sync', `${repoRoot}/fleet-examples/bms/apps`);
    repos.push(repo);
    const write = (version: string, delay: number) =>
      writeFleet(repo.workTree, {
        'fleet.yaml': fleetYaml(
          `  - name: slow\n    stack: stacks/slow\n    target: { devices: [${syncDevice}] }\n`,
        ),
        'stacks/slow/compose.yaml': slowStack(version, delay),
      });
    await write('1', 0);
    const first = await repo.commit('v1');
    const syncSetup = await ferrydConfig(syncDevice, repo.url);
    // A long interval: only POST /sync can explain a quick second pass.
    const config = await readFile(syncSetup.configFile, 'utf8');
    await writeFile(syncSetup.configFile, config.replace('interval: 1s', 'interval: 10m'));
    syncDaemon = new FerrydProcess(syncSetup);
    await syncDaemon.waitFor('v1 applied', (s) => s.appliedRevision === first);

    await write('2', 5);
    await repo.commit('v2, five seconds to become healthy');
    await fetch(`${syncDaemon.api}/sync`, { method: 'POST' });
    await eventually('the v2 update began', async () =>
      (await deviceContainers(syncDevice)).has(`${syncDevice}.slow.app.next`),
    );
    await write('3', 0);
    const third = await repo.commit('v3, pushed while v2 is being applied');
    assert.equal((await fetch(`${syncDaemon.api}/sync`, { method: 'POST' })).status, 202);
    // The v2 pass still waits on its health gate; v3 follows it, ten minutes before the interval.
    await syncDaemon.waitFor('v3 applied', (s) => s.appliedRevision === third, 40_000);
  });
});

describe('a crash while a broken version waits on its health gate', () => {
  /** v1 is healthy; v2 never is (its healthcheck fails), so only its gate can stop it. */
  const stack = (version: string, order: string) =>
    `services:\n  app:\n    image: ${image}\n    environment: { VERSION: "${version}" }\n    healthcheck: { test: ["CMD", "test", "${version}", "=", "1"], interval: 1s, retries: 2 }\n`.replace(
      'services:',
      `# update order ${order}\nservices:`,
    );
  for (const order of ['stop-first', 'start-first'] as const) {
    it(`${order}: the restarted ferryd finishes the gate and rolls back, never recording v2 as good`, async () => {
      const crashDevice = uniqueDevice(`crash-${order}`);
      const repo = await createFleetRepo('crash', `${repoRoot}/fleet-examples/bms/apps`);
      repos.push(repo);
      const write = (version: string) =>
        writeFleet(repo.workTree, {
          'fleet.yaml': fleetYaml(
            `  - name: svc\n    stack: stacks/svc\n    target: { devices: [${crashDevice}] }\n    update: { order: ${order}, healthTimeout: 20s }\n`,
          ),
          'stacks/svc/compose.yaml': stack(version, order),
        });
      try {
        await write('1');
        const first = await repo.commit('v1');
        const crashSetup = await ferrydConfig(crashDevice, repo.url);
        assert.equal((await ferrydOnce(crashSetup)).result.code, 0);
        const v1 = (await deviceContainers(crashDevice)).get(`${crashDevice}.svc.app`);

        await write('2');
        await repo.commit('v2, never healthy');
        const running = new FerrydProcess(crashSetup);
        await eventually('v2 started', async () =>
          [...(await deviceContainers(crashDevice)).values()].some(
            (c) => c.env.includes('VERSION=2') && c.state === 'running',
          ),
        );
        await running.stop('SIGKILL');

        const { result, report } = await ferrydOnce(crashSetup);
        assert.equal(result.code, 1, result.stdout);
        assert.equal(report.deployments[0]?.status, 'rolled-back');
        const containers = await deviceContainers(crashDevice);
        assert.deepEqual([...containers.keys()], [`${crashDevice}.svc.app`]);
        const app = containers.get(`${crashDevice}.svc.app`);
        assert.ok(app?.env.includes('VERSION=1'));
        if (order === 'start-first') assert.equal(app?.id, v1?.id, 'the old container was kept');
        const state = JSON.parse(await readFile(`${crashSetup.stateDir}/state.json`, 'utf8')) as {
          deployments: Record<string, { lastKnownGood?: { revision: string } }>;
        };
        assert.equal(state.deployments.svc?.lastKnownGood?.revision, first);
      } finally {
        await cleanDevice(crashDevice);
      }
    });
  }
});
