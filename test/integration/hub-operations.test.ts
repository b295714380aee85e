// Operating a fleet through the hub: a gateway that rolled back, as the API, `ferry status` and
// `ferry plan --hub` see it; remote operations pulled by the gateway (logs, restart), authorised
// and audited; a new gateway enrolling itself with the fleet-wide secret; /metrics.
import assert from 'node:assert/strict';
import { readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import type { RolloutPlan } from '../../builder/src/plan/plan-rollout.js';
import { eventually } from '../helpers/eventually.js';
import { ferrydConfig, ferrydOnce, uniqueDevice } from '../helpers/ferryd-harness.js';
import {
  badStack,
  ENGINE_SOCKET,
  FAILURE_LINE,
  goodStack,
  startHubGateway,
  type HubGateway,
} from '../helpers/hub-gateway.js';
import { hubGet, hubPost } from '../helpers/hub-process.js';
import { runCli } from '../helpers/run-cli.js';

const docker = new Docker();

interface Detail {
  identity: { engineVersion?: string };
  resources: { engineDiskFree?: number };
  inFleet: boolean | null;
  deployments: { name: string; status: string; appliedRevision: string | null; code?: string }[];
  failureLogs: { deployment: string; service: string; lines: string[] }[];
  operations: {
    id: number;
    kind: string;
    state: string;
    requestedBy: string;
    result: { lines?: string[]; error?: string } | null;
  }[];
}

describe('operating a fleet through the hub', () => {
  let env: HubGateway;
  let good: string;
  let bad: string;
  const stranger = uniqueDevice('selfenrolled');
  let tokenFile: string;
  let strangerToken: string;

  before(async () => {
    env = await startHubGateway('hubops');
    good = (await env.gateway.status())?.appliedRevision ?? '';
    bad = await env.commitStack(badStack(env.image), 'iot: a web that cannot start');
    await env.gateway.waitFor(
      'the update rolled back',
      (s) => s.lastPass?.deployments[0]?.status === 'rolled-back',
      120_000,
    );
    tokenFile = join(env.hub.dir, 'operator-token');
    strangerToken = await selfEnroll();
  });

  after(() => env?.stop());

  const detail = async (id = env.device) =>
    (await hubGet<Detail>(env.hub, `/api/v1/devices/${id}`)).body;

  it("keeps the failed container's output, and says what the gateway runs", async () => {
    const seen = await eventually('the rollback reaches the hub', async () => {
      const d = await detail();
      return d.deployments[0]?.status === 'rolled-back' ? d : undefined;
    });
    assert.equal(seen.deployments[0]?.appliedRevision, good);
    assert.equal(seen.deployments[0]?.code, 'FERRY_HEALTH');
    assert.equal(seen.failureLogs[0]?.service, 'web');
    assert.equal(seen.failureLogs[0]?.lines.at(-1), FAILURE_LINE);
    assert.match(seen.identity.engineVersion ?? '', /^\d+\.\d+/);
    assert.ok((seen.resources.engineDiskFree ?? 0) > 0);
    assert.equal(seen.inFleet, true);
    // On the gateway: `ferryd status` says it did not converge (exit 1) and shows the output.
    const status = await runCli('ferryd', ['status', '--api', env.gateway.api]);
    assert.equal(status.code, 1);
    assert.match(
      status.stdout,
      /last 15 of 200 lines of .*web\.next[^\n]*\n(.*\n)*.*\| fatal: DB_URL is not set/,
    );
    // Held until the hour passes, or until an operator asks for a retry now.
    const held = await env.gateway.waitFor(
      'held',
      (s) => s.lastPass?.deployments[0]?.status === 'held-after-failure',
    );
    const retry = await runCli('ferryd', ['retry', 'iot', '--api', env.gateway.api]);
    assert.equal(retry.code, 0, retry.stderr);
    const retried = await env.gateway.waitFor(
      'the retry',
      (s) => s.passes > held.passes && s.lastPass?.deployments[0]?.status === 'rolled-back',
      120_000,
    );
    assert.equal(retried.lastPass?.deployments[0]?.code, 'FERRY_HEALTH');
    const metrics = await (await fetch(`${env.gateway.api}/metrics`)).text();
    assert.match(metrics, /^ferry_rollbacks_total\{deployment="iot",device="[^"]+"\} [2-9]/m);
  });

  it('lists the fleet in a terminal table and as JSON, filtered', async () => {
    const table = await runCli('ferry', [
      'status',
      '--hub',
      env.hub.url,
      '--token-file',
      tokenFile,
    ]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^DEVICE\s+STATE\s+LAST SEEN\s+IOT/);
    const row = table.stdout.split('\n').find((l) => l.startsWith(env.device)) ?? '';
    assert.match(row, new RegExp(`online .* ${good.slice(0, 10)} rolled-back FERRY_HEALTH`));
    const json = await runCli(
      'ferry',
      ['status', '--hub', env.hub.url, '--json', '--deployment', 'iot', '--status', 'converged'],
      { env: { FERRY_HUB_TOKEN: env.hub.operatorToken } },
    );
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual((JSON.parse(json.stdout) as { devices: unknown[] }).devices, []);
    const refused = await runCli('ferry', ['status', '--hub', env.hub.url], {
      env: { FERRY_HUB_TOKEN: 'wrong-token-wrong-token' },
    });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /401 an operator token is required/);
  });

  it("fetches a service's recent output from the gateway, and restarts it, on request", async () => {
    // First ferryd.yaml moves the engine to another path, and the old one goes: operations must
    // run on the engine of the configuration reloaded, not the one the gateway started with.
    const moved = join(env.hub.dir, 'docker-b.sock');
    await symlink(ENGINE_SOCKET, moved);
    const config = await readFile(env.setup.configFile, 'utf8');
    await writeFile(env.setup.configFile, config.replace(env.socket, moved));
    await eventually('ferryd reloads ferryd.yaml', () =>
      env.gateway.logs.includes('"event":"config.reloaded"'),
    );
    await unlink(env.socket);
    // Past the Engine API client's keep-alive (5 s), when no connection to the old path is left.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const web = `${env.device}.iot.web`;
    const startedAt = async () => (await docker.getContainer(web).inspect()).State.StartedAt;
    const before = await startedAt();
    const asked = await hubPost<{ id: number }>(
      env.hub,
      `/api/v1/devices/${env.device}/operations`,
      {
        kind: 'logs',
        deployment: 'iot',
        service: 'web',
        lines: 20,
        by: 'ana',
      },
    );
    assert.equal(asked.status, 202);
    const restart = await hubPost<{ id: number }>(
      env.hub,
      `/api/v1/devices/${env.device}/operations`,
      { kind: 'restart', deployment: 'iot', service: 'web', by: 'ana' },
    );
    const done = await eventually('the gateway did both', async () => {
      const ops = (await detail()).operations;
      return ops.length === 2 && ops.every((o) => o.state !== 'pending') ? ops : undefined;
    });
    const logs = done.find((o) => o.id === asked.body.id);
    assert.equal(logs?.state, 'done');
    assert.ok(logs?.result?.lines?.includes('ready on 8080'), JSON.stringify(logs?.result));
    assert.equal(logs?.requestedBy, 'ana (127.0.0.1)');
    assert.equal(done.find((o) => o.id === restart.body.id)?.state, 'done');
    assert.notEqual(await startedAt(), before, 'the container was restarted');
  });

  it('lets neither a device token nor another device ask for or answer operations', async () => {
    const deviceToken = (await readFile(join(env.hub.dir, `${env.device}.token`), 'utf8')).trim();
    const op = { kind: 'restart', deployment: 'iot', service: 'web' };
    const path = `/api/v1/devices/${env.device}/operations`;
    assert.equal((await hubPost(env.hub, path, op, deviceToken)).status, 401);
    const bogus = await hubPost(env.hub, path, { ...op, kind: 'exec', command: 'rm -rf /' });
    assert.equal(bogus.status, 400);
    // Stopped first, so that only the forger could answer it (a heartbeat in flight while the
    // operation was asked for would take it and answer it itself).
    await env.gateway.stop();
    const { body } = await hubPost<{ id: number }>(env.hub, path, { ...op, kind: 'logs' });
    const forged = await hubPost(
      env.hub,
      `/api/v1/operations/${body.id}/result`,
      { lines: ['forged'] },
      strangerToken,
    );
    assert.equal(forged.status, 404);
    assert.equal((await detail()).operations.find((o) => o.id === body.id)?.state, 'pending');
  });

  /** A new gateway with no token: ferryd enrolls it with the secret. Its token. */
  async function selfEnroll(): Promise<string> {
    const strangerTokenFile = join(env.hub.dir, `${stranger}.token`);
    const setup = await ferrydConfig(
      stranger,
      env.repo.url,
      `report: { url: "${env.hub.url}", tokenFile: ${strangerTokenFile}, enrollmentSecretFile: ${env.secretFile}, interval: 1s }\n`,
    );
    await ferrydOnce(setup);
    return (await readFile(strangerTokenFile, 'utf8')).trim();
  }

  it('enrolls a new gateway with the secret, shown as not in the fleet repository', async () => {
    const seen = await eventually('the stranger reported', async () => {
      const d = (await hubGet<Detail>(env.hub, `/api/v1/devices/${stranger}`)).body;
      return d.inFleet === false ? d : undefined;
    });
    assert.deepEqual(seen.deployments, []);
    const secret = (await readFile(env.secretFile, 'utf8')).trim();
    const takeover = await fetch(`${env.hub.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}` },
      body: JSON.stringify({ device: env.device }),
    });
    assert.equal(takeover.status, 409, 'the secret cannot take over an enrolled device');
    const guessed = await fetch(`${env.hub.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { authorization: 'Bearer guessed-secret-guessed' },
      body: JSON.stringify({ device: 'gw-new' }),
    });
    assert.equal(guessed.status, 401);
  });

  it('plans a change from the revision each gateway runs, not from --base', async () => {
    // The fix restores what the rolled-back gateway still runs: nothing changes for it.
    await writeFile(join(env.repo.workTree, 'stacks/iot/compose.yaml'), goodStack(env.image));
    const fix = await env.repo.commit('iot: back to the good web');
    const plan = async (...extra: string[]) => {
      const args = ['plan', env.repo.workTree, '--base', bad, '--head', fix, '--format', 'json'];
      const result = await runCli('ferry', [...args, ...extra]);
      assert.equal(result.code, 0, result.stderr);
      return (JSON.parse(result.stdout) as RolloutPlan).devices.find(
        (d) => d.device === env.device,
      );
    };
    const fromBase = await plan();
    assert.deepEqual(fromBase?.changes, [
      {
        deployment: 'iot',
        service: 'web',
        change: 'recreate',
        why: ['command', 'healthcheck'],
      },
    ]);
    const fromHub = await plan('--hub', env.hub.url, '--token-file', tokenFile);
    assert.equal(fromHub?.from, 'hub');
    assert.deepEqual(fromHub?.applied, { iot: good });
    assert.deepEqual(fromHub?.changes, []);
  });

  it('serves fleet gauges and process metrics to the operator', async () => {
    const response = await fetch(`${env.hub.url}/metrics`, {
      headers: { authorization: `Bearer ${env.hub.operatorToken}` },
    });
    const text = await response.text();
    assert.match(text, /^ferry_hub_devices\{state="online"\} \d+$/m);
    assert.match(text, /^ferry_hub_devices_not_in_fleet 1$/m);
    assert.match(
      text,
      new RegExp(
        `^ferry_hub_deployment_devices\\{deployment="iot",revision="${bad}",status="rolled-back"\\} 1$`,
        'm',
      ),
    );
    assert.match(text, /^ferry_hub_reports_total\{kind="state",result="stored"\} \d+$/m);
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    assert.equal((await fetch(`${env.hub.url}/metrics`)).status, 401);
  });
});
