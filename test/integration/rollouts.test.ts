// The rollout controller against a real hub and a real git server: devices report how the step
// fares (as ferryd does, POST /api/v1/reports with their own tokens), `ferry rollouts --once`
// decides, and every promotion or pause is one commit to the fleet repository, signed, with the
// reason; a notification goes out once per decision; restarting changes nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { rolloutBucket } from '#kernel/fleet/rollout-bucket.js';
import { eventually } from '../helpers/eventually.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { enroll, hubSetup, HubProcess, type HubSetup } from '../helpers/hub-process.js';
import { repoRoot, runCli } from '../helpers/run-cli.js';
import { fleetIds, rolloutFleetYaml, rolloutsOnce, StepReports } from '../helpers/rollout-fleet.js';

const exec = promisify(execFile);

describe('ferry rollouts', () => {
  const ids = fleetIds(`ro${process.pid}`);
  let hub: HubSetup;
  let running: HubProcess;
  let repo: FleetRepo;
  let tokens: Map<string, string>;
  let previous: string;
  let key: string;
  let signers: string;
  let stateDir: string;
  const notified: { event: string; deployment: string; commit?: string }[] = [];
  const notifyServer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      notified.push(JSON.parse(body) as (typeof notified)[number]);
      response.end();
    });
  });

  const fleetYaml = (rollout: string) => rolloutFleetYaml(ids, rollout);
  let reports: StepReports;
  const report: StepReports['report'] = (...args) => reports.report(...args);

  const address = () => {
    const a = notifyServer.address();
    return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`;
  };
  const controller = () =>
    rolloutsOnce(hub, repo.url, stateDir, ['--signing-key', key, '--notify', address()]);
  const remoteLog = async () => {
    await repo.git('pull', '--quiet', '--ff-only', 'origin', 'main');
    return (await repo.git('log', '--format=%H %s')).split('\n');
  };

  before(async () => {
    await new Promise<void>((resolve) => notifyServer.listen(0, '127.0.0.1', resolve));
    hub = await hubSetup('sqlite');
    running = await HubProcess.start(hub);
    tokens = new Map();
    for (const id of ids) tokens.set(id, await enroll(hub, id));
    reports = new StepReports(hub.url, tokens, ids);
    const keys = await mkdtemp(join(tmpdir(), 'ferry-rollout-key-'));
    key = join(keys, 'controller');
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rollouts', '-f', key]);
    signers = join(keys, 'allowed_signers');
    await writeFile(signers, `rollouts@fleet ${(await readFile(`${key}.pub`, 'utf8')).trim()}\n`);
    stateDir = await mkdtemp(join(tmpdir(), 'ferry-rollouts-'));
    repo = await createFleetRepo('rollouts', `${repoRoot}/fleet-examples/bms/apps`);
    await writeFile(
      join(repo.workTree, 'fleet.yaml'),
      fleetYaml('{ previous: none, percent: 100 }'),
    );
    previous = await repo.commit('the current release');
    await writeFile(
      join(repo.workTree, 'fleet.yaml'),
      fleetYaml(`{ previous: ${previous}, steps: [25, 50, 100], percent: 25 }`),
    );
    await repo.commit('iot: a new release, staged');
  });
  after(async () => {
    notifyServer.close();
    await running?.stop();
    await repo?.remove();
  });

  it('promotes a good release step by step, one signed commit each, then says it is complete', async () => {
    await report(25, () => 'converged');
    assert.equal((await controller())[0]?.decision.action, 'promote');
    let log = await remoteLog();
    assert.match(log[0] ?? '', /rollout iot: 25% -> 50%$/);
    const fleet = await readFile(join(repo.workTree, 'fleet.yaml'), 'utf8');
    assert.match(
      fleet,
      /rollout: \{ previous: \w+, steps: \[25, 50, 100\], percent: 50 \} # staged/,
    );
    // The step moved, the devices of the 50% step have not reported it yet: nothing to do.
    assert.equal((await controller())[0]?.decision.action, 'wait');
    await report(50, () => 'converged');
    await controller();
    await report(100, () => 'converged');
    assert.equal((await controller())[0]?.decision.action, 'complete');
    assert.deepEqual(await controller(), [], 'a decision is taken once');
    log = await remoteLog();
    assert.match(log[0] ?? '', /rollout iot: 50% -> 100%$/);
    assert.match(log[1] ?? '', /rollout iot: 25% -> 50%$/);
    assert.match(log[2] ?? '', /iot: a new release, staged$/);
    assert.deepEqual(
      notified.map((n) => n.event),
      ['promoted', 'promoted', 'completed'],
    );
    // Signed with the controller's key: gateways that verify signatures take its commits.
    const verify = await runCli('ferry', [
      'validate',
      repo.workTree,
      '--verify-signatures',
      'HEAD',
      '--since',
      (log[2] ?? '').split(' ')[0] ?? '',
      '--allowed-signers',
      signers,
    ]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  it('pauses a release that fails its health gate in the first step, naming the devices', async () => {
    await writeFile(
      join(repo.workTree, 'fleet.yaml'),
      fleetYaml(`{ previous: ${previous}, steps: [25, 50, 100], percent: 25 }`),
    );
    await repo.commit('iot: the next release, staged');
    await report(25, () => 'rolled-back', 'FERRY_HEALTH');
    const [evaluated] = await controller();
    assert.equal(evaluated?.decision.action, 'pause');
    const log = await remoteLog();
    assert.match(log[0] ?? '', /rollout iot: paused at 25%$/);
    const message = await repo.git('log', '-1', '--format=%B');
    for (const id of ids.filter((i) => rolloutBucket('iot', i) < 25))
      assert.match(message, new RegExp(`- ${id}: rolled-back FERRY_HEALTH`));
    assert.match(
      await readFile(join(repo.workTree, 'fleet.yaml'), 'utf8'),
      /percent: 25, paused: true \}/,
    );
    // Restarted, the controller finds the rollout paused and commits nothing more.
    assert.equal((await controller())[0]?.decision.action, 'wait');
    assert.equal((await remoteLog())[0], log[0]);
    // The hub keeps the deployment's history of decisions, the pause with its reason and commit.
    const history = await fetch(`${hub.url}/api/v1/deployments/iot`, {
      headers: { authorization: `Bearer ${hub.operatorToken}` },
    }).then((r) => r.json() as Promise<{ decisions: { decision: Record<string, unknown> }[] }>);
    const pause = history.decisions[0]?.decision;
    assert.equal(pause?.action, 'pause');
    assert.match(String(pause?.reason), /failed .* in the 25% step/);
    assert.equal(pause?.commit, (await repo.git('rev-parse', 'HEAD')).trim());
    assert.deepEqual(
      history.decisions.slice(1).map((d) => d.decision.action),
      ['complete', 'promote', 'promote'],
    );
    assert.equal(notified.at(-1)?.event, 'paused');
    assert.equal(notified.filter((n) => n.event === 'paused').length, 1);
  });

  it('runs inside the hub when hub.yaml has rollouts:', async () => {
    await running.stop();
    const inHub = await mkdtemp(join(tmpdir(), 'ferry-hub-rollouts-'));
    await writeFile(
      hub.configFile,
      `${await readFile(hub.configFile, 'utf8')}rollouts: { repo: "${repo.url}", stateDir: ${inHub}, interval: 1s }\n`,
    );
    running = await HubProcess.start(hub);
    // The devices are well again before the release is committed: the hub's controller runs every
    // second, and would otherwise judge the new step by the failures of the last one.
    await report(25, () => 'converged');
    const current = (await repo.git('rev-parse', 'HEAD')).trim();
    await writeFile(
      join(repo.workTree, 'fleet.yaml'),
      fleetYaml(`{ previous: ${current}, steps: [25, 50, 100], percent: 25 }`),
    );
    await repo.commit('iot: a third release, staged');
    await report(25, () => 'converged');
    await eventually(
      'the hub promotes the rollout',
      async () => (await remoteLog())[0]?.endsWith('rollout iot: 25% -> 50%'),
      { timeoutMs: 30_000, everyMs: 500, detail: () => running.logs.slice(-2000) },
    );
  });
});
