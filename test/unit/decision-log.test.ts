// The rollout controller's record of its decisions: a decision pushed but not yet announced is
// pending, and a controller started again announces it before anything else, even when the
// evaluation that follows fails; one recorded before its push is announced only if its commit got
// to the branch; nothing is announced twice once it is done.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { evaluateRollouts } from '../../builder/src/rollouts/controller.js';
import { DecisionLog, type Outcome } from '../../builder/src/rollouts/decision-log.js';
import type { RolloutRepo } from '../../builder/src/rollouts/rollout-repo.js';

const promoted: Outcome = {
  key: 'iot abc123 promote [25,50]',
  deployment: 'iot',
  previous: 'abc123',
  decision: { action: 'promote', from: 25, to: 50, devices: 2 },
  commit: 'f00d',
  at: '2026-11-30T12:00:00.000Z',
};

describe('DecisionLog', () => {
  it('keeps a decision pending until it is announced, and taken throughout', async () => {
    const log = new DecisionLog(join(await mkdtemp(join(tmpdir(), 'ferry-log-')), 'd.json'));
    assert.equal(await log.taken(promoted.key), false);
    await log.begin(promoted);
    assert.equal(await log.taken(promoted.key), true);
    assert.deepEqual(await log.pending(), [promoted]);
    await log.done(promoted.key);
    assert.equal(await log.taken(promoted.key), true);
    assert.deepEqual(await log.pending(), []);
  });

  it('keeps a decision recorded before its push unconfirmed until confirmed, or forgets it', async () => {
    const log = new DecisionLog(join(await mkdtemp(join(tmpdir(), 'ferry-log-')), 'd.json'));
    await log.begin({ ...promoted, unconfirmed: true });
    assert.equal(await log.taken(promoted.key), true, 'not decided twice while it is pushed');
    await log.confirm(promoted.key);
    assert.deepEqual(await log.pending(), [promoted]);
    await log.abandon(promoted.key);
    assert.deepEqual(await log.pending(), []);
    assert.equal(await log.taken(promoted.key), false, 'an abandoned decision may be taken again');
  });

  it('reads the list of keys an older controller wrote', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'ferry-log-')), 'd.json');
    await writeFile(file, JSON.stringify(['iot abc123 complete [100]']));
    const log = new DecisionLog(file);
    assert.equal(await log.taken('iot abc123 complete [100]'), true);
    assert.deepEqual(await log.pending(), []);
  });
});

describe('a controller started again with a decision pending', () => {
  const posts: { path: string; body: Record<string, unknown> }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      posts.push({ path: request.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      response.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
  });
  let url = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(() => server.close());

  it('announces it first, once, even when the evaluation then fails', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'ferry-controller-'));
    await new DecisionLog(join(stateDir, 'decisions.json')).begin(promoted);
    const unreachable = {
      sync: () => Promise.reject(new Error('the git server is down')),
    } as unknown as RolloutRepo;
    const options = {
      repo: unreachable,
      hub: { url, token: 'operator' },
      stateDir,
      logger: pino({ level: 'silent' }),
      notify: `${url}/hook`,
    };
    await assert.rejects(evaluateRollouts(options), /git server is down/);
    assert.deepEqual(
      posts.map((p) => p.path),
      ['/hook', '/api/v1/deployments/iot/decisions'],
    );
    assert.equal(posts[0]?.body.event, 'promoted');
    assert.equal(posts[0]?.body.commit, 'f00d');
    assert.equal(posts[1]?.body.commit, 'f00d');
    const recorded = JSON.parse(await readFile(join(stateDir, 'decisions.json'), 'utf8')) as {
      done: string[];
      pending: unknown[];
    };
    assert.deepEqual(recorded, { done: [promoted.key], pending: [] });
    await assert.rejects(evaluateRollouts(options), /git server is down/);
    assert.equal(posts.length, 2, 'announced once');
  });

  it('announces one recorded around its push once its commit is on the branch, else forgets it', async () => {
    posts.length = 0;
    const stateDir = await mkdtemp(join(tmpdir(), 'ferry-controller-'));
    const log = new DecisionLog(join(stateDir, 'decisions.json'));
    const paused: Outcome = {
      ...promoted,
      key: 'iot abc123 pause [25]',
      decision: { action: 'pause', at: 25, reason: 'r', failing: [], devices: 2 },
      commit: 'beef',
      unconfirmed: true,
    };
    await log.begin({ ...promoted, unconfirmed: true });
    await log.begin(paused);
    const asked: string[] = [];
    const repo = {
      sync: () => Promise.resolve('head'),
      published: (oid: string) => (asked.push(oid), Promise.resolve(oid === 'f00d')),
      fleetText: () => Promise.reject(new Error('evaluation stops here')),
    } as unknown as RolloutRepo;
    const options = {
      repo,
      hub: { url, token: 'operator' },
      stateDir,
      logger: pino({ level: 'silent' }),
    };
    await assert.rejects(evaluateRollouts(options), /evaluation stops here/);
    assert.deepEqual(asked, ['f00d', 'beef']);
    assert.deepEqual(
      posts.map((p) => [p.path, p.body.action, p.body.commit]),
      [['/api/v1/deployments/iot/decisions', 'promote', 'f00d']],
      'the pushed one is announced; the one never pushed is not',
    );
    assert.equal(await log.taken(promoted.key), true);
    assert.equal(await log.taken(paused.key), false, 'decided again on the next evaluation');
    assert.deepEqual(await log.pending(), []);
  });
});
