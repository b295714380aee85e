// The fleet read from commits of a repository served over HTTP by git http-backend, fetched with
// isomorphic-git (shallow, one branch) and read from the object store without a checkout.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { SchemaValidator } from '#kernel/validate.js';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { resolveDevice } from '#kernel/fleet/resolve-device.js';
import { rolloutBucket } from '#kernel/fleet/rollout-bucket.js';
import { DirectoryReader } from '#kernel/source/directory-reader.js';
import { GitTreeReader } from '#kernel/source/git-tree-reader.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot } from '../helpers/run-cli.js';
import { testEnv } from '../helpers/test-env.js';

const validator = new SchemaValidator();
const repos: FleetRepo[] = [];
after(() => Promise.all(repos.map((r) => r.remove())));

async function fetchRepo(
  url: string,
  auth?: { username: string; password: string },
): Promise<string> {
  const gitdir = await mkdtemp(join(tmpdir(), 'ferry-gitdir-'));
  await git.clone({
    fs,
    http,
    gitdir,
    dir: gitdir,
    url,
    ref: 'main',
    singleBranch: true,
    depth: 10,
    noCheckout: true,
    ...(auth ? { onAuth: () => auth } : {}),
  });
  return gitdir;
}

describe('fleet from a git commit over HTTP', () => {
  it('resolves the same desired state as the directory it was pushed from', async () => {
    const repo = await createFleetRepo('bms', join(repoRoot, 'fleet-examples/bms'));
    repos.push(repo);
    const commit = await repo.commit('initial fleet');
    const gitdir = await fetchRepo(repo.url);
    const fromGit = await loadFleet(
      await GitTreeReader.open({ gitdir, root: '.' }, 'main'),
      validator,
    );
    const fromDir = await loadFleet(
      new DirectoryReader(join(repoRoot, 'fleet-examples/bms')),
      validator,
    );
    assert.equal(fromGit.revision, commit);
    for (const device of ['floor-0', 'floor-1', 'floor-2']) {
      const a = resolveDevice(fromGit, device).state;
      const b = resolveDevice(fromDir, device).state;
      assert.ok(a && b);
      const withoutRevisions = JSON.parse(
        JSON.stringify(a).replaceAll(`"${commit}"`, 'null'),
      ) as unknown;
      assert.deepEqual(withoutRevisions, b);
      assert.equal(a.revision, commit);
    }
  });

  it('splits devices between this commit and rollout.previous by bucket', async () => {
    const repo = await createFleetRepo('rollout', join(repoRoot, 'fleet-examples/bms'));
    repos.push(repo);
    const first = await repo.commit('v1');
    const composePath = join(repo.workTree, 'stacks/bms-collector/compose.yaml');
    await writeFile(
      composePath,
      (await readFile(composePath, 'utf8')).replace('POLL_SECONDS: "5"', 'POLL_SECONDS: "2"'),
    );
    const fleetPath = join(repo.workTree, 'fleet.yaml');
    const fleetText = await readFile(fleetPath, 'utf8');
    await writeFile(
      fleetPath,
      fleetText.replace(
        '      labels: { role: floor-gateway }\n',
        `      labels: { role: floor-gateway }\n    rollout: { percent: 50, previous: "${first.slice(0, 10)}" }\n`,
      ),
    );
    const second = await repo.commit('v2 to half the floors');

    const gitdir = await fetchRepo(repo.url);
    const fleet = await loadFleet(
      await GitTreeReader.open({ gitdir, root: '.' }, second),
      validator,
    );
    for (const device of ['floor-0', 'floor-1', 'floor-2']) {
      const collector = resolveDevice(fleet, device).state?.deployments.find(
        (d) => d.name === 'bms-collector',
      );
      const selected = rolloutBucket('bms-collector', device) < 50;
      assert.equal(collector?.rollout?.selected, selected);
      assert.equal(collector?.services[0]?.environment.POLL_SECONDS, selected ? '2' : '5');
      assert.equal(collector?.stackRevision, selected ? second : first.slice(0, 10));
    }
  });

  it('reads a repository behind basic auth, and is refused without credentials', async () => {
    const repo = await createFleetRepo('private', join(repoRoot, 'fleet-examples/smart-mall'), {
      auth: true,
    });
    repos.push(repo);
    await repo.commit('private fleet');
    await assert.rejects(fetchRepo(repo.url), /401|HttpError/);
    const gitdir = await fetchRepo(repo.url, testEnv.gitUser);
    const fleet = await loadFleet(
      await GitTreeReader.open({ gitdir, root: '.' }, 'main'),
      validator,
    );
    assert.deepEqual(
      resolveDevice(fleet, 'mall-a').state?.deployments[0]?.services.map((s) => s.name),
      ['lighting', 'offers', 'finder'],
    );
  });

  it('reads a fleet kept in a sub-folder of the repository', async () => {
    const repo = await createFleetRepo('monorepo', join(repoRoot, 'fleet-examples'));
    repos.push(repo);
    await repo.commit('all examples');
    const gitdir = await fetchRepo(repo.url);
    const fleet = await loadFleet(
      await GitTreeReader.open({ gitdir, root: 'multi-tenant' }, 'main'),
      validator,
    );
    assert.deepEqual([...fleet.devices.keys()], ['edge-1', 'edge-2']);
  });
});
