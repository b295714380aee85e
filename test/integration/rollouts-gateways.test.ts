// Staged rollouts end to end, on eight real gateways (ferryd processes, each in its own engine
// namespace) reporting to a real hub, with the controller committing to a real git server: a
// good release goes 25% -> 50% -> 100% by itself, one commit per step; a release whose new image
// fails its health gate on the first step is paused, the commit naming the failing gateways and
// codes, and the gateways outside the step never take the bad image; restarting the controller
// commits nothing more; `ferry plan` on the pause commit shows it.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rolloutBucket } from '#kernel/fleet/rollout-bucket.js';
import type { RolloutPlan } from '../../builder/src/plan/plan-rollout.js';
import { eventually } from '../helpers/eventually.js';
import {
  cleanDevice,
  ferrydConfig,
  fleetYaml,
  pushTestImage,
  pushWebAppImage,
  writeFleet,
} from '../helpers/ferryd-harness.js';
import { FerrydProcess } from '../helpers/ferryd-process.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { enroll, hubGet, hubSetup, HubProcess, type HubSetup } from '../helpers/hub-process.js';
import { rolloutsOnce } from '../helpers/rollout-fleet.js';
import { repoRoot, runCli } from '../helpers/run-cli.js';

/** Eight gateway ids: two in the 25% step, two more in the 50% step, four after. */
function gatewayIds(): string[] {
  const all = Array.from({ length: 400 }, (_, i) => `rg${process.pid % 1000}-${i}`);
  const range = (lo: number, hi: number) =>
    all.filter((id) => rolloutBucket('iot', id) >= lo && rolloutBucket('iot', id) < hi);
  return [...range(0, 25).slice(0, 2), ...range(25, 50).slice(0, 2), ...range(50, 100).slice(0, 4)];
}

interface Devices {
  devices: {
    id: string;
    deployments: {
      name: string;
      status: string;
      rollout?: { percent: number; selected: boolean };
    }[];
  }[];
}

describe('staged rollouts on eight gateways', () => {
  const ids = gatewayIds();
  const firstStep = ids.filter((id) => rolloutBucket('iot', id) < 25);
  let hub: HubSetup;
  let running: HubProcess;
  let repo: FleetRepo;
  let good: string;
  let bad: string;
  let stateDir: string;
  const gateways: FerrydProcess[] = [];

  const stack = (image: string, version: string, healthcheck = '') =>
    `services:\n  web:\n    image: ${image}\n    environment: { V: "${version}" }\n${healthcheck}`;
  const commitFleet = async (rollout: string, compose: string, message: string) => {
    await writeFleet(repo.workTree, {
      'fleet.yaml': fleetYaml(
        `  - name: iot\n    stack: stacks/iot\n    target: { devices: [${ids.join(', ')}] }\n    update: { healthTimeout: 20s }\n${rollout}`,
      ),
      'stacks/iot/compose.yaml': compose,
    });
    return repo.commit(message);
  };
  let lastDecision: unknown;
  const controller = async () => {
    const [evaluated] = await rolloutsOnce(hub, repo.url, stateDir);
    lastDecision = evaluated?.decision;
    return evaluated?.decision.action;
  };
  /** Runs the controller until it takes `action` (it waits while the step converges). */
  const until = (action: string) =>
    eventually(`the controller decides to ${action}`, async () => (await controller()) === action, {
      timeoutMs: 120_000,
      everyMs: 1000,
      detail: async () =>
        `last decision: ${JSON.stringify(lastDecision)}\nfleet repository: ${await repo
          .git('fetch', '--quiet', 'origin')
          .then(() => repo.git('log', '-3', '--format=%B', 'origin/main'))
          .catch(String)}\ndevices: ${JSON.stringify(await fleetView().catch(String))}`,
    });
  const subjects = async () => {
    await repo.git('pull', '--quiet', '--ff-only', 'origin', 'main');
    return (await repo.git('log', '--format=%s')).split('\n');
  };
  const fleetView = async () => (await hubGet<Devices>(hub, '/api/v1/devices')).body.devices;

  before(async () => {
    good = await pushWebAppImage();
    bad = await pushTestImage('ferry-test/app-bad', [
      'RUN echo broken > /broken',
      'CMD ["sleep", "3600"]',
    ]);
    // The gateways report every second. The hub judges a device offline after three missed
    // heartbeats, and a step device gone offline pauses the rollout. With a 1 s heartbeat, 3 s
    // without a report from a gateway starved of CPU on a loaded CI machine is enough (the likely
    // cause of a CI run whose first step never promoted and whose controller did push a commit).
    // 5 s leaves 15 s, which only a gateway that really stopped misses.
    hub = await hubSetup('sqlite', '5s');
    running = await HubProcess.start(hub);
    stateDir = await mkdtemp(join(tmpdir(), 'ferry-rollouts-'));
    repo = await createFleetRepo('rollgw', `${repoRoot}/fleet-examples/bms/apps`);
    await commitFleet('', stack(good, '1'), 'iot v1 everywhere');
    for (const id of ids) {
      const tokenFile = join(hub.dir, `${id}.token`);
      await writeFile(tokenFile, `${await enroll(hub, id)}\n`);
      const setup = await ferrydConfig(
        id,
        repo.url,
        `report: { url: "${hub.url}", tokenFile: ${tokenFile}, interval: 1s }\n`,
      );
      gateways.push(new FerrydProcess(setup));
    }
    await eventually(
      'every gateway runs v1',
      async () =>
        (await fleetView()).filter((d) => d.deployments[0]?.status === 'converged').length === 8,
      {
        timeoutMs: 240_000,
        everyMs: 500,
        detail: () =>
          gateways.map((g) => `${g.setup.device}:\n${g.logs.slice(-1500)}`).join('\n---\n'),
      },
    );
  });
  after(async () => {
    for (const gateway of gateways) await gateway.stop();
    for (const id of ids) await cleanDevice(id);
    await running?.stop();
    await repo?.remove();
  });

  it('takes a good release 25% -> 50% -> 100% by itself, one commit per step', async () => {
    const v1 = (await repo.git('rev-parse', 'HEAD')).trim();
    await commitFleet(
      `    rollout: { previous: ${v1}, steps: [25, 50, 100] }\n`,
      stack(good, '2'),
      'iot v2, staged',
    );
    await until('promote');
    await until('promote');
    await until('complete');
    const log = await subjects();
    assert.deepEqual(log.slice(0, 3), [
      'rollout iot: 50% -> 100%',
      'rollout iot: 25% -> 50%',
      'iot v2, staged',
    ]);
    const after = await fleetView();
    assert.ok(
      after.every(
        (d) =>
          d.deployments[0]?.rollout?.percent === 100 && d.deployments[0].status === 'converged',
      ),
    );
  });

  it('pauses a release that fails its health gate on the first step; the rest never take it', async () => {
    await subjects(); // from what the controller last pushed, whatever the test before left
    const v2 = (await repo.git('rev-parse', 'HEAD')).trim();
    const failing = `    healthcheck: { test: ["CMD", "false"], interval: 1s, retries: 1 }\n`;
    // Both gateways of the step must fail before it pauses, so the message names both.
    await commitFleet(
      `    rollout: { previous: ${v2}, steps: [25, 50, 100], pauseOn: { failures: 2 } }\n`,
      stack(bad, '3', failing),
      'iot v3, staged',
    );
    await until('pause');
    const head = (await subjects())[0];
    const message = await repo.git('log', '-1', '--format=%B');
    assert.match(message, /^rollout iot: paused at 25%/);
    for (const id of firstStep)
      assert.match(message, new RegExp(`- ${id}: (rolled-back|failed) FERRY_HEALTH`));
    // The gateways outside the step never ran the bad image.
    for (const gateway of gateways.filter((g) => !firstStep.includes(g.setup.device))) {
      const status = await gateway.status();
      const images =
        status?.lastPass?.deployments.flatMap((d) => d.services.map((s) => s.image)) ?? [];
      assert.ok(!images.includes(bad), `${gateway.setup.device} runs ${images.join(', ')}`);
    }
    // Restarted, the controller commits nothing more.
    assert.equal(await controller(), 'wait');
    assert.equal((await subjects())[0], head);
    // The review shows the pause.
    const plan = await runCli('ferry', [
      'plan',
      repo.workTree,
      '--base',
      v2,
      '--head',
      'HEAD',
      '--format',
      'json',
    ]);
    assert.equal(plan.code, 0, plan.stderr);
    const devices = (JSON.parse(plan.stdout) as RolloutPlan).devices;
    const rollout = devices.find((d) => d.device === firstStep[0])?.rollouts[0];
    assert.deepEqual(
      { percent: rollout?.percent, selected: rollout?.selected, paused: rollout?.paused },
      { percent: 25, selected: true, paused: true },
    );
  });
});
