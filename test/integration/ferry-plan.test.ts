// `ferry plan` predicts, per device, exactly the bytes ferryd then downloads.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RolloutPlan } from '../../builder/src/plan/plan-rollout.js';
import {
  cleanDevice,
  ferrydConfig,
  ferrydOnce,
  fleetYaml,
  uniqueDevice,
  writeFleet,
} from '../helpers/ferryd-harness.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot, runCli } from '../helpers/run-cli.js';
import { incompressible, pushSyntheticImage } from '../helpers/synthetic-images.js';

const device = uniqueDevice('plan');
const idle = uniqueDevice('idle');
let repo: FleetRepo;
after(async () => {
  await cleanDevice(device);
  await repo?.remove();
});

describe('ferry plan', () => {
  it("predicts each device's download, and ferryd downloads exactly that", async () => {
    const shared = { files: { 'opt/runtime.bin': incompressible(300_000) } };
    const v1 = await pushSyntheticImage({
      repository: 'ferry-test/plan',
      tag: `v1-${process.pid}`,
      layers: [shared, { files: { 'app.bin': incompressible(100_000) } }],
    });
    const v2 = await pushSyntheticImage({
      repository: 'ferry-test/plan',
      tag: `v2-${process.pid}`,
      layers: [shared, { files: { 'app.bin': incompressible(150_000) } }],
    });
    repo = await createFleetRepo('plan', `${repoRoot}/fleet-examples/bms/apps`);
    const commit = async (image: string) => {
      await writeFleet(repo.workTree, {
        'fleet.yaml': fleetYaml(
          `  - name: app\n    stack: stacks/app\n    target: { labels: { role: gw } }\n`,
        ),
        [`devices/${device}.yaml`]: 'labels: { role: gw }\n',
        [`devices/${idle}.yaml`]: 'labels: { role: spare }\n',
        'stacks/app/compose.yaml': `services:\n  app:\n    image: ${image}\n`,
      });
      return repo.commit(`app ${image}`);
    };
    const base = await commit(v1.reference);
    const head = await commit(v2.reference);

    const json = await runCli('ferry', [
      'plan',
      repo.workTree,
      '--base',
      base,
      '--head',
      head,
      '--format',
      'json',
    ]);
    assert.equal(json.code, 0, json.stderr);
    const plan = JSON.parse(json.stdout) as RolloutPlan;
    const predicted = plan.devices.find((d) => d.device === device);
    assert.deepEqual(predicted?.changes, [
      { deployment: 'app', service: 'app', change: 'recreate', why: ['image'] },
    ]);
    assert.equal(predicted?.downloadBytes, v2.layers.at(-1)!.size);
    assert.deepEqual(plan.devices.find((d) => d.device === idle)?.changes, []);
    assert.equal(plan.totals.devicesChanging, 1);

    // As a CI job names them: relative to the commit checked out.
    const markdown = await runCli('ferry', [
      'plan',
      repo.workTree,
      '--base',
      'HEAD~1',
      '--head',
      'HEAD',
    ]);
    assert.equal(markdown.code, 0, markdown.stderr);
    assert.match(
      markdown.stdout,
      new RegExp(`\\| ${device} \\| recreate app/app \\(image\\) \\| .* \\(1 layer\\) \\|`),
    );

    // The device applies base, then head: it downloads what the plan said.
    const setup = await ferrydConfig(device, repo.url);
    await commit(v1.reference);
    assert.equal((await ferrydOnce(setup)).result.code, 0);
    await commit(v2.reference);
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(report.bytesDownloaded, predicted?.downloadBytes);

    // A head that does not validate: the comment says why, and the command fails.
    await writeFleet(repo.workTree, {
      'stacks/app/compose.yaml': `services:\n  app:\n    image: ${v2.reference}\n    restart: sometimes\n`,
    });
    const broken = await repo.commit('a typo');
    const invalid = await runCli('ferry', [
      'plan',
      repo.workTree,
      '--base',
      head,
      '--head',
      broken,
    ]);
    assert.equal(invalid.code, 1);
    assert.match(
      invalid.stdout,
      new RegExp(`### Ferry rollout plan: \`${broken}\` does not validate`),
    );
    assert.match(invalid.stdout, /^- `stacks\/app\/compose\.yaml:4:\d+ services\.app\.restart: /m);
  });
});
