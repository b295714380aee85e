// The rollout controller with --review-branch, against a real hub and git server: a decision goes
// to a branch for a pull request and the fleet branch stays as it is until a reviewer merges it.
// A controller that lost its record of a decision (it stopped between the push and the record,
// or runs with a new state folder) finds the decision already under review and does not rewrite
// the pull request; after the merge, the next step's decision goes to review on top of it.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { enroll, hubSetup, HubProcess, type HubSetup } from '../helpers/hub-process.js';
import { fleetIds, rolloutFleetYaml, rolloutsOnce, StepReports } from '../helpers/rollout-fleet.js';
import { repoRoot } from '../helpers/run-cli.js';

const REVIEW = 'ferry/rollout-iot';

describe('ferry rollouts --review-branch', () => {
  const ids = fleetIds(`rr${process.pid}`);
  let hub: HubSetup;
  let running: HubProcess;
  let repo: FleetRepo;
  let reports: StepReports;
  let stateDir: string;

  const controller = (state = stateDir) =>
    rolloutsOnce(hub, repo.url, state, ['--review-branch', REVIEW]);
  const remoteHead = async (branch: string) =>
    (await repo.git('ls-remote', 'origin', `refs/heads/${branch}`)).split(/\s/)[0] ?? '';
  /** The review branch's head: its parent and its fleet.yaml. */
  const underReview = async () => {
    await repo.git('fetch', '--quiet', 'origin', REVIEW);
    const head = await remoteHead(REVIEW);
    return {
      head,
      parent: await repo.git('rev-parse', `${head}^`),
      fleet: await repo.git('show', `${head}:fleet.yaml`),
    };
  };

  before(async () => {
    hub = await hubSetup('sqlite');
    running = await HubProcess.start(hub);
    const tokens = new Map<string, string>();
    for (const id of ids) tokens.set(id, await enroll(hub, id));
    reports = new StepReports(hub.url, tokens, ids);
    stateDir = await mkdtemp(join(tmpdir(), 'ferry-rollouts-review-'));
    repo = await createFleetRepo('rollouts-review', `${repoRoot}/fleet-examples/bms/apps`);
    const fleet = join(repo.workTree, 'fleet.yaml');
    await writeFile(fleet, rolloutFleetYaml(ids, '{ previous: none, percent: 100 }'));
    const previous = await repo.commit('the current release');
    await writeFile(
      fleet,
      rolloutFleetYaml(ids, `{ previous: ${previous}, steps: [25, 50, 100], percent: 25 }`),
    );
    await repo.commit('iot: a new release, staged');
  });
  after(async () => {
    await running?.stop();
    await repo?.remove();
  });

  it('commits the promotion to the review branch and leaves the fleet branch alone', async () => {
    await reports.report(25, () => 'converged');
    const main = await remoteHead('main');
    const [evaluated] = await controller();
    assert.equal(evaluated?.decision.action, 'promote');
    assert.equal(await remoteHead('main'), main, 'the fleet branch waits for the merge');
    const review = await underReview();
    assert.equal(evaluated?.commit, review.head);
    assert.match(review.fleet, /percent: 50 \} # staged/);
    assert.equal(review.parent, main, 'one commit on the branch head');
    // Until the merge the devices report the same, and the decision is not taken again.
    assert.deepEqual(await controller(), []);
    assert.equal(await remoteHead(REVIEW), review.head);
  });

  it('finds its decision under review after losing its record, and adds nothing', async () => {
    const review = await remoteHead(REVIEW);
    const [evaluated] = await controller(await mkdtemp(join(tmpdir(), 'ferry-rollouts-new-')));
    assert.equal(evaluated?.decision.action, 'promote');
    assert.equal(evaluated?.commit, review, 'the commit already under review');
    assert.equal(await remoteHead(REVIEW), review, 'the pull request is not rewritten');
  });

  it('after the merge, puts the next step up for review on top of it', async () => {
    const review = await remoteHead(REVIEW);
    await repo.git('merge', '--quiet', '--ff-only', `origin/${REVIEW}`);
    await repo.git('push', '--quiet', 'origin', 'HEAD:main');
    await reports.report(50, () => 'converged');
    const [evaluated] = await controller();
    assert.deepEqual(
      evaluated?.decision && [evaluated.decision.from, evaluated.decision.to],
      [50, 100],
    );
    const next = await underReview();
    assert.equal(next.parent, review, 'on top of the merged step');
    assert.match(next.fleet, /percent: 100 \} # staged/);
  });
});
