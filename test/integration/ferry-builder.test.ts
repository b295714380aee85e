// `ferry builder`: a pushed commit becomes a pinned commit on the fleet repository with no manual
// step (first by polling, then by webhook, then one pushed during a build right after it); a
// repository it cannot reach backs off on its own.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { RepositoryStatus } from '../../builder/src/service/repository-worker.js';
import { eventually } from '../helpers/eventually.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { freePort } from '../helpers/free-port.js';
import { repoRoot } from '../helpers/run-cli.js';

const exec = promisify(execFile);
const git = async (cwd: string, ...args: string[]) =>
  (await exec('git', args, { cwd })).stdout.trim();

let repo: FleetRepo | undefined;
let workDir: string | undefined;
let child: ChildProcess | undefined;
let logs = '';
after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await repo?.remove();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 120_000,
): Promise<T> {
  return eventually(what, probe, {
    timeoutMs: ms,
    everyMs: 300,
    detail: () => `builder logs:\n${logs.slice(-4000)}`,
  });
}

/** The remote main's head, once its message says it pins images. */
async function remotePinCommit(work: string, after: string): Promise<string | undefined> {
  await git(work, 'fetch', '--quiet', 'origin');
  const head = await git(work, 'rev-parse', 'origin/main');
  if (head === after) return undefined;
  const message = await git(work, 'log', '-1', '--format=%s', 'origin/main');
  return message.startsWith('ferry: pin') ? head : undefined;
}

describe('ferry builder', () => {
  it('pins a pushed commit by itself, again on a webhook, and backs off on an unreachable repository', async () => {
    repo = await createFleetRepo('builder', `${repoRoot}/fleet-examples/bms`);
    const first = await repo.commit('bms fleet');
    workDir = await mkdtemp(join(tmpdir(), 'ferry-builder-'));
    const port = await freePort();
    const hooks = `http://127.0.0.1:${port}`;
    const config = join(workDir, 'builder.yaml');
    await writeFile(
      config,
      [
        `workDir: ${join(workDir, 'work')}`,
        'interval: 1h',
        `webhook: { listen: "127.0.0.1:${port}" }`,
        'repositories:',
        `  - { name: bms, url: "${repo.url}" }`,
        '  - { name: gone, url: "http://127.0.0.1:9/nothing.git" }',
        '',
      ].join('\n'),
    );
    child = spawn(process.execPath, [`${repoRoot}bin/ferry.js`, 'builder', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => (logs += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (logs += c.toString()));

    // 1. Polling: the operator's commit is built and pinned on main, nobody touching anything.
    const pinned = await waitFor('the first pin commit', () =>
      remotePinCommit(repo!.workTree, first),
    );
    assert.equal(await git(repo.workTree, 'rev-parse', `${pinned}~1`), first);
    const compose = await git(repo.workTree, 'show', `${pinned}:stacks/bms-collector/compose.yaml`);
    assert.match(compose, /image: 127\.0\.0\.1:5101\/bms\/collector@sha256:[0-9a-f]{64}/);

    // 2. Webhook: the next commit is built at once, though the poll interval is an hour.
    await git(repo.workTree, 'pull', '--quiet', '--ff-only', 'origin', 'main');
    const script = join(repo.workTree, 'apps/collector/collect.sh');
    await writeFile(script, `${await readFile(script, 'utf8')}# tuned\n`);
    const second = await repo.commit('collector: tuned');
    const hook = await fetch(`${hooks}/hooks/bms`, { method: 'POST' });
    assert.equal(hook.status, 202);
    const repinned = await waitFor(
      'the second pin commit',
      () => remotePinCommit(repo!.workTree, second),
      60_000,
    );
    assert.equal(await git(repo.workTree, 'rev-parse', `${repinned}~1`), second);
    assert.match(
      await git(repo.workTree, 'log', '-1', '--format=%B', repinned),
      /^ferry: pin 1 image/,
    );

    // 3. A commit pushed during a build, with no webhook: the build's pins are refused (the branch
    // moved), which is no failure, and the new head is built and pinned at once.
    await git(repo.workTree, 'pull', '--quiet', '--ff-only', 'origin', 'main');
    const dockerfile = join(repo.workTree, 'apps/collector/Dockerfile');
    await writeFile(
      dockerfile,
      (await readFile(dockerfile, 'utf8')).replace('FROM ${BASE}\n', 'FROM ${BASE}\nRUN sleep 6\n'),
    );
    const slow = await repo.commit('collector: a slow build step');
    assert.equal((await fetch(`${hooks}/hooks/bms`, { method: 'POST' })).status, 202);
    await waitFor(
      'the slow build to start',
      async () =>
        logs.includes(`"event":"builder.building","repo":"bms","commit":"${slow}"`) || undefined,
    );
    await writeFile(script, `${await readFile(script, 'utf8')}# tuned again\n`);
    const during = await repo.commit('collector: tuned during the build');
    const onTop = await waitFor(
      'the pin commit of the commit pushed during the build',
      () => remotePinCommit(repo!.workTree, during),
      90_000,
    );
    assert.equal(await git(repo.workTree, 'rev-parse', `${onTop}~1`), during);
    assert.match(logs, new RegExp(`"event":"builder.superseded","repo":"bms","commit":"${slow}"`));
    const bms = ((await (await fetch(`${hooks}/status`)).json()) as RepositoryStatus[]).find(
      (s) => s.name === 'bms',
    );
    assert.deepEqual([bms?.lastError, bms?.consecutiveFailures], [null, 0]);

    // 4. The unreachable repository failed on its own and keeps backing off; the service is up.
    const statuses = (await (await fetch(`${hooks}/status`)).json()) as RepositoryStatus[];
    const gone = statuses.find((s) => s.name === 'gone')!;
    assert.ok(gone.consecutiveFailures >= 1);
    assert.match(gone.lastError ?? '', /cannot fetch http:\/\/127\.0\.0\.1:9\/nothing\.git/);
    assert.equal(statuses.find((s) => s.name === 'bms')?.lastError, null);
    assert.equal((await fetch(`${hooks}/hooks/nope`, { method: 'POST' })).status, 404);
    assert.match(logs, /"event":"builder.failed"/);
  });
});
