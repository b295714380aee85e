// The GitLab merge-request job of docs/ci.md, its `script:` run as written (only `npm install`
// left out and `npx ferry` pointed at this checkout) in a clone of a real fleet repository, the
// way GitLab runs it: one bash with `set -eo pipefail`, the merge request's variables set, and
// a stand-in for GitLab's notes API on loopback. A user copies this job first; it must work.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { fleetYaml, uniqueDevice, writeFleet } from '../helpers/ferryd-harness.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot } from '../helpers/run-cli.js';
import { incompressible, pushSyntheticImage } from '../helpers/synthetic-images.js';

const exec = promisify(execFile);
const TOKEN = 'glpat-test';
const NOTES = '/api/v4/projects/42/merge_requests/7/notes';

/** The plan job's script lines, from the GitLab block of docs/ci.md. */
async function gitlabPlanScript(): Promise<string> {
  const doc = await readFile(`${repoRoot}docs/ci.md`, 'utf8');
  const block = /```yaml\n# \.gitlab-ci\.yml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  const job = (parse(block) as { plan: { script: string[] } }).plan;
  return job.script
    .filter((line) => !line.startsWith('npm install'))
    .map((line) => line.replaceAll('npx ferry', `node ${repoRoot}bin/ferry.js`))
    .join('\n');
}

/**
 * GitLab's merge-request notes API, as much as the job uses: list (newest first and 20 to a page
 * unless asked otherwise, as GitLab does), create, update.
 */
function notesApi() {
  const notes: { id: number; body: string }[] = [];
  const calls: string[] = [];
  const page = (request: IncomingMessage) => {
    const query = new URL(request.url ?? '/', 'http://gitlab').searchParams;
    const sorted = [...notes].sort((a, b) =>
      query.get('sort') === 'asc' ? a.id - b.id : b.id - a.id,
    );
    return sorted.slice(0, Number(query.get('per_page') ?? 20));
  };
  const form = async (request: IncomingMessage) => {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    return new URLSearchParams(text).get('body') ?? '';
  };
  const server = createServer((request, response) => {
    void (async () => {
      calls.push(`${request.method} ${request.url}`);
      if (request.headers['private-token'] !== TOKEN) {
        response.writeHead(401).end();
        return;
      }
      const id = Number(/\/notes\/(\d+)$/.exec(request.url ?? '')?.[1]);
      if (request.method === 'GET') return void response.end(JSON.stringify(page(request)));
      if (request.method === 'POST')
        notes.push({ id: notes.length + 1, body: await form(request) });
      if (request.method === 'PUT') notes.find((n) => n.id === id)!.body = await form(request);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(notes));
    })();
  });
  return { server, notes, calls };
}

describe('the GitLab job of docs/ci.md', () => {
  const api = notesApi();
  const device = uniqueDevice('mr');
  let repo: FleetRepo;
  let script: string;
  let image: { v1: string; v2: string };

  /** Clones the merge request's branch as GitLab does (shallow) and runs the job in it. */
  async function runJob(branch: string): Promise<{ code: number; output: string }> {
    const clone = join(await mkdtemp(join(tmpdir(), 'ferry-mr-')), 'checkout');
    await exec('git', ['clone', '--quiet', '--depth', '20', '--branch', branch, repo.url, clone]);
    const address = api.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const env = {
      ...process.env,
      CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
      CI_API_V4_URL: `http://127.0.0.1:${port}/api/v4`,
      CI_PROJECT_ID: '42',
      CI_MERGE_REQUEST_IID: '7',
      FERRY_GITLAB_TOKEN: TOKEN,
    };
    const run = await exec('bash', ['-eo', 'pipefail', '-c', script], { cwd: clone, env }).then(
      (r) => ({ code: 0, output: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        output: e.stdout + e.stderr,
      }),
    );
    return run;
  }

  const stack = (reference: string, extra = '') =>
    `services:\n  app:\n    image: ${reference}\n    ports: ["8080:80"]\n${extra}`;

  before(async () => {
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    script = await gitlabPlanScript();
    const shared = { files: { 'opt/runtime.bin': incompressible(200_000) } };
    const push = (tag: string, size: number) =>
      pushSyntheticImage({
        repository: 'ferry-test/ci-job',
        tag: `${tag}-${process.pid}`,
        layers: [shared, { files: { 'app.bin': incompressible(size) } }],
      });
    image = { v1: (await push('v1', 50_000)).reference, v2: (await push('v2', 60_000)).reference };
    repo = await createFleetRepo('ci-job', `${repoRoot}/fleet-examples/bms/apps`);
    await writeFleet(repo.workTree, {
      'fleet.yaml': fleetYaml(
        `  - name: app\n    stack: stacks/app\n    target: { devices: [${device}] }\n`,
      ),
      [`devices/${device}.yaml`]: 'labels: {}\n',
      'stacks/app/compose.yaml': stack(image.v1),
    });
    await repo.commit('app v1');
    await repo.git('checkout', '--quiet', '-b', 'feature');
  });
  after(async () => {
    api.server.close();
    await repo?.remove();
  });

  const pushFeature = async (compose: string, message: string) => {
    await writeFleet(repo.workTree, { 'stacks/app/compose.yaml': compose });
    await repo.git('add', '-A');
    await repo.git('commit', '--quiet', '-m', message);
    await repo.git('push', '--quiet', '--force', 'origin', 'feature');
  };

  it('comments the plan on the merge request, then edits that one comment', async () => {
    await pushFeature(stack(image.v2), 'app v2');
    const first = await runJob('feature');
    assert.equal(first.code, 0, first.output);
    assert.equal(api.notes.length, 1);
    assert.match(api.notes[0]!.body, /^<!-- ferry-plan -->/);
    assert.match(api.notes[0]!.body, new RegExp(`${device}.*recreate app/app \\(image\\)`));

    // A busy review: more notes since than GitLab lists on a page by default.
    for (let n = 0; n < 25; n++) api.notes.push({ id: api.notes.length + 1, body: `nit ${n}` });
    await pushFeature(stack(image.v2, '    environment: { MODE: fast }\n'), 'app: fast mode');
    const second = await runJob('feature');
    assert.equal(second.code, 0, second.output);
    assert.equal(api.notes.length, 26, 'the same comment, edited');
    assert.match(api.notes[0]!.body, /\(environment, image\)/);
    assert.ok(api.calls.includes(`PUT ${NOTES}/1`), api.calls.join('\n'));
  });

  it('comments what is wrong with an invalid head, and fails the job', async () => {
    await pushFeature(stack(image.v2, '    restart: sometimes\n'), 'a typo');
    const run = await runJob('feature');
    assert.equal(run.code, 1, run.output);
    assert.equal(api.notes.length, 26);
    assert.match(api.notes[0]!.body, /does not validate/, `${run.output}\n${api.calls.join('\n')}`);
    assert.match(api.notes[0]!.body, /stacks\/app\/compose\.yaml:\d+:\d+ services\.app\.restart/);
  });
});
