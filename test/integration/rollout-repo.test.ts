// The rollout controller's clone of the fleet repository, against the real git server: a decision
// is committed in the clone, recorded, then pushed; whether a commit got to the branch is what a
// controller that stopped around its push asks when it starts again.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RolloutRepo } from '../../builder/src/rollouts/rollout-repo.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { fleetIds, rolloutFleetYaml } from '../helpers/rollout-fleet.js';
import { repoRoot } from '../helpers/run-cli.js';

describe('RolloutRepo', () => {
  const ids = fleetIds(`rp${process.pid}`);
  let repo: FleetRepo;

  const clone = async (reviewBranch?: string) =>
    new RolloutRepo({
      url: repo.url,
      branch: 'main',
      dir: await mkdtemp(join(tmpdir(), 'ferry-rollout-clone-')),
      root: '.',
      author: { name: 'Ferry rollouts', email: 'rollouts@ferry.test' },
      ...(reviewBranch ? { reviewBranch } : {}),
    });
  const edit = async (controller: RolloutRepo, percent: number) => {
    const head = await controller.sync();
    const text = (await controller.fleetText(head)) ?? '';
    return controller.commitFleet(
      text.replace(/percent: \d+/, `percent: ${percent}`),
      `rollout iot: -> ${percent}%`,
    );
  };

  before(async () => {
    repo = await createFleetRepo('rollout-repo', `${repoRoot}/fleet-examples/bms/apps`);
    await writeFile(
      join(repo.workTree, 'fleet.yaml'),
      rolloutFleetYaml(ids, '{ previous: abc, steps: [25, 50, 100], percent: 25 }'),
    );
    await repo.commit('iot: a new release, staged');
  });
  after(() => repo?.remove());

  it('knows a commit made in the clone is not on the branch until it is pushed', async () => {
    const controller = await clone();
    const made = await edit(controller, 50);
    assert.equal(made.pushed, false);
    assert.equal(await controller.published(made.oid), false, 'committed, not pushed');
    await controller.push();
    assert.equal(await controller.published(made.oid), true);
    // An operator commits on top; a controller started again still finds it.
    await repo.git('pull', '--quiet', '--ff-only', 'origin', 'main');
    await repo.commit('an unrelated change');
    const restarted = await clone();
    await restarted.sync();
    assert.equal(await restarted.published(made.oid), true);
    assert.equal(await restarted.published('0'.repeat(40)), false, 'a commit it never saw');
  });

  it('finds a decision already under review, and a review branch merged and deleted', async () => {
    const controller = await clone('ferry/rollout-iot');
    const made = await edit(controller, 100);
    await controller.push();
    const again = await edit(await clone('ferry/rollout-iot'), 100);
    assert.deepEqual(again, { oid: made.oid, pushed: true }, 'the commit under review is taken');
    // The reviewer merges it (fast-forward) and deletes the review branch.
    await repo.git('fetch', '--quiet', 'origin', 'ferry/rollout-iot');
    await repo.git('merge', '--quiet', '--ff-only', 'FETCH_HEAD');
    await repo.git('push', '--quiet', 'origin', 'main', ':ferry/rollout-iot');
    const restarted = await clone('ferry/rollout-iot');
    await restarted.sync();
    assert.equal(await restarted.published(made.oid), true);
  });
});
