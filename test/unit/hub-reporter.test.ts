// ferryd's reports to the hub, with the hub behind a fake fetch: what is sent when, in what order,
// what waits on disk, how big a heartbeat is, and that sequence numbers only grow.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { HubReport } from '#kernel/hub/hub-report.js';
import {
  heartbeatOf,
  HubReporter,
  type PassOutcome,
} from '../../daemon/src/report/hub-reporter.js';
import { ReportQueue } from '../../daemon/src/report/report-queue.js';
import type { PassReport } from '../../daemon/src/report/pass-report.js';

const logger = pino({ level: 'silent' });

function pass(revision: string, converged = true): PassOutcome {
  const report: PassReport = {
    device: 'gw',
    revision,
    converged,
    deployments: [
      {
        name: 'iot',
        status: converged ? 'updated' : 'rolled-back',
        revision,
        services: [{ name: 'web', action: 'create', image: 'r/web@sha256:1', state: 'running' }],
        ...(converged ? {} : { reason: 'web: unhealthy', code: 'FERRY_HEALTH' }),
      },
    ],
    bytesDownloaded: 10,
    layers: { downloaded: 1, reused: 0 },
    errors: [],
    failures: [],
    startedAt: 'x',
    finishedAt: 'y',
  };
  return { pass: report, labels: { site: 'vienna' }, applied: { iot: revision } };
}

/** A hub that answers with `status()` and keeps every report it took. */
function fakeHub(status: () => number | 'down') {
  const received: HubReport[] = [];
  const fetcher = (async (_url: URL, init?: RequestInit) => {
    const answer = status();
    if (answer === 'down') throw new TypeError('fetch failed');
    if (answer < 300) received.push(JSON.parse(String(init?.body)) as HubReport);
    return new Response('{}', { status: answer });
  }) as typeof fetch;
  return { received, fetcher };
}

async function reporter(fetcher: typeof fetch, queueBytes = 1 << 20, intervalMs = 60_000) {
  const stateDir = await mkdtemp(join(tmpdir(), 'ferry-reporter-'));
  const tokenFile = join(stateDir, 'token');
  await writeFile(tokenFile, 'device-token\n');
  const made = new HubReporter({
    url: 'http://hub.test',
    tokenFile,
    intervalMs,
    queueBytes,
    device: 'gw',
    stateDir,
    logger,
    fetch: fetcher,
  });
  return { made, stateDir };
}

const queued = async (stateDir: string) =>
  (await readdir(join(stateDir, 'reports'))).filter((n) => n.endsWith('.json'));

describe('HubReporter', () => {
  it('reports a pass whose outcome changed, and not one that changed nothing', async () => {
    const hub = fakeHub(() => 200);
    const { made } = await reporter(hub.fetcher);
    await made.afterPass(pass('rev1'));
    await made.flush();
    await made.afterPass(pass('rev1'));
    await made.flush();
    await made.afterPass(pass('rev2', false));
    await made.flush();
    assert.deepEqual(
      hub.received.map((r) => r.kind === 'state' && [r.revision, r.deployments[0]?.status]),
      [
        ['rev1', 'converged'],
        ['rev2', 'rolled-back'],
      ],
    );
    const [first, second] = hub.received;
    assert.ok(first && second && second.seq > first.seq);
  });

  it('keeps reports on disk while the hub is down, then sends them in order', async () => {
    let state: number | 'down' = 'down';
    const hub = fakeHub(() => state);
    const { made, stateDir } = await reporter(hub.fetcher);
    await made.afterPass(pass('rev1'));
    await made.afterPass(pass('rev2'));
    await made.flush();
    assert.equal((await queued(stateDir)).length, 2);
    state = 503;
    await made.flush();
    assert.equal((await queued(stateDir)).length, 2, 'a 5xx is tried again later');
    state = 200;
    // A new ferryd (a restart) finds the queue and sends it.
    const restarted = new HubReporter({
      url: 'http://hub.test',
      tokenFile: join(stateDir, 'token'),
      intervalMs: 60_000,
      queueBytes: 1 << 20,
      device: 'gw',
      stateDir,
      logger,
      fetch: hub.fetcher,
    });
    await restarted.flush();
    assert.deepEqual(
      hub.received.map((r) => r.kind === 'state' && r.revision),
      ['rev1', 'rev2'],
    );
    assert.deepEqual(await queued(stateDir), []);
  });

  it('drops a report the hub refuses as malformed, but keeps it when the token is refused', async () => {
    let status = 401;
    const hub = fakeHub(() => status);
    const { made, stateDir } = await reporter(hub.fetcher);
    await made.afterPass(pass('rev1'));
    await made.flush();
    assert.equal((await queued(stateDir)).length, 1);
    status = 400;
    await made.flush();
    assert.deepEqual(await queued(stateDir), []);
  });

  it('never lets a heartbeat overtake a state report (the hub would drop it as a duplicate)', async () => {
    // The hub's rule: a report whose seq is not above the last one it took is a duplicate.
    let last = -1;
    const order: string[] = [];
    const fetcher = (async (_url: URL, init?: RequestInit) => {
      const report = JSON.parse(String(init?.body)) as HubReport;
      await new Promise((resolve) => setTimeout(resolve, report.seq % 3));
      const fresh = report.seq > last;
      last = Math.max(last, report.seq);
      if (report.kind === 'state') order.push(`${fresh ? '' : 'dropped '}${report.revision}`);
      return new Response('{}', { status: 200 });
    }) as typeof fetch;
    const { made } = await reporter(fetcher, 1 << 20, 1);
    made.start();
    const revisions = Array.from({ length: 15 }, (_, i) => `rev${i}`);
    for (const revision of revisions) {
      await new Promise((resolve) => setTimeout(resolve, 3));
      void made.afterPass(pass(revision));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    made.stop();
    await made.flush();
    assert.deepEqual(order, revisions);
  });

  it('sends one heartbeat at a time to a hub slower than the interval, skipping the rest', async () => {
    let answer = () => {};
    const slow = new Promise<void>((resolve) => (answer = resolve));
    let beats = 0;
    const fetcher = (async () => {
      beats += 1;
      await slow;
      return new Response('{}', { status: 200 });
    }) as typeof fetch;
    const { made } = await reporter(fetcher, 1 << 20, 1);
    made.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    made.stop();
    answer();
    await made.flush();
    assert.equal(beats, 1, 'the beats of 50 intervals did not pile up behind the first');
  });

  it('bounds the queue, oldest first, and keeps the newest', async () => {
    const hub = fakeHub(() => 'down');
    const { made, stateDir } = await reporter(hub.fetcher, 16 * 1024);
    for (let i = 0; i < 40; i += 1) await made.afterPass(pass(`rev${i}`));
    const names = await queued(stateDir);
    assert.ok(names.length < 40, `${names.length} kept`);
    const queue = new ReportQueue(stateDir, 16 * 1024);
    const pending = await queue.pending();
    const newest = pending.at(-1)?.report;
    assert.equal(newest?.kind === 'state' && newest.revision, 'rev39');
  });
});

describe('ReportQueue', () => {
  it('hands out sequence numbers that grow across restarts, writing once per thousand', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-seq-'));
    const first = new ReportQueue(dir, 1 << 20);
    const a = await first.nextSeq();
    const b = await first.nextSeq();
    const second = new ReportQueue(dir, 1 << 20);
    const c = await second.nextSeq();
    assert.ok(a < b && b < c, `${a} ${b} ${c}`);
  });
});

describe('a heartbeat', () => {
  it('costs well under 1 KB on the wire, with every figure at its largest', () => {
    const beat = heartbeatOf(
      'gateway-plant-3-line-12-cabinet-7',
      Number.MAX_SAFE_INTEGER,
      {
        cpus: 64,
        load1: 123.45,
        memTotal: 2 ** 40,
        memAvailable: 2 ** 40,
        diskFree: 2 ** 50,
        uptime: 10 ** 9,
      },
      new Date(),
    );
    const headers =
      'POST /api/v1/reports HTTP/1.1\r\nhost: hub.example.com:7790\r\ncontent-type: application/json\r\nauthorization: Bearer ' +
      'x'.repeat(43) +
      '\r\ncontent-length: 999\r\n\r\n';
    assert.ok(
      JSON.stringify(beat).length + headers.length < 1024,
      `${JSON.stringify(beat).length}`,
    );
  });

  it("sends a failure's output once, and a held rolled-back deployment as rolled back", async () => {
    const hub = fakeHub(() => 200);
    const { made } = await reporter(hub.fetcher);
    const failed = pass('rev2', false);
    const failureLog = { service: 'web', container: 'iot.web.next', lines: ['fatal: no DB'] };
    const deployment = { ...failed.pass.deployments[0]!, failureLog };
    await made.afterPass({ ...failed, pass: { ...failed.pass, deployments: [deployment] } });
    const held = {
      ...deployment,
      status: 'held-after-failure' as const,
      until: '2026-11-30T13:00:00Z',
      failedAs: 'rolled-back' as const,
    };
    await made.afterPass({ ...failed, pass: { ...failed.pass, deployments: [held] } });
    await made.flush();
    const sent = hub.received.flatMap((r) => (r.kind === 'state' ? r.deployments : []));
    assert.deepEqual(
      sent.map((d) => [d.status, d.until, d.failureLog?.lines]),
      [
        ['rolled-back', undefined, ['fatal: no DB']],
        ['rolled-back', '2026-11-30T13:00:00Z', undefined],
      ],
    );
  });

  it("hands the operations in the hub's answer to its runner, and ignores an oversized answer", async () => {
    const taken: unknown[] = [];
    let answer = JSON.stringify({
      result: 'stored',
      operations: [{ id: 4, kind: 'logs', deployment: 'iot', service: 'web', lines: 10 }],
    });
    const fetcher = (async () => new Response(answer, { status: 200 })) as typeof fetch;
    const stateDir = await mkdtemp(join(tmpdir(), 'ferry-reporter-'));
    await writeFile(join(stateDir, 'token'), 'device-token\n');
    const made = new HubReporter({
      url: 'http://hub.test',
      tokenFile: join(stateDir, 'token'),
      intervalMs: 60_000,
      queueBytes: 1 << 20,
      device: 'gw',
      stateDir,
      logger,
      fetch: fetcher,
      runner: { take: async (operations) => void taken.push(...operations) },
    });
    await made.afterPass(pass('rev1'));
    await made.flush();
    assert.deepEqual(taken, [
      { id: 4, kind: 'logs', deployment: 'iot', service: 'web', lines: 10 },
    ]);
    answer = JSON.stringify({ operations: [{ id: 5 }], pad: 'x'.repeat(100 * 1024) });
    await made.afterPass(pass('rev2'));
    await made.flush();
    assert.equal(taken.length, 1, 'an answer past 64 KiB is not read');
  });

  it('enrolls itself with the secret when it has no token, and keeps the token it got', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'ferry-reporter-'));
    const secretFile = join(stateDir, 'secret');
    await writeFile(secretFile, 'fleet-secret-0123456789\n');
    const calls: { path: string; auth: string | null }[] = [];
    const fetcher = (async (url: URL, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get('authorization');
      calls.push({ path: url.pathname, auth });
      if (url.pathname === '/api/v1/enroll')
        return new Response(JSON.stringify({ device: 'gw', token: 'issued-token-0123456789' }));
      return new Response('{}', { status: 200 });
    }) as typeof fetch;
    const tokenFile = join(stateDir, 'hub', 'token');
    const made = new HubReporter({
      url: 'http://hub.test',
      tokenFile,
      enrollmentSecretFile: secretFile,
      intervalMs: 60_000,
      queueBytes: 1 << 20,
      device: 'gw',
      stateDir,
      logger,
      fetch: fetcher,
    });
    await made.afterPass(pass('rev1'));
    await made.flush();
    await made.afterPass(pass('rev2'));
    await made.flush();
    assert.deepEqual(calls, [
      { path: '/api/v1/enroll', auth: 'Bearer fleet-secret-0123456789' },
      { path: '/api/v1/reports', auth: 'Bearer issued-token-0123456789' },
      { path: '/api/v1/reports', auth: 'Bearer issued-token-0123456789' },
    ]);
    const { readFile, stat } = await import('node:fs/promises');
    assert.equal((await readFile(tokenFile, 'utf8')).trim(), 'issued-token-0123456789');
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
  });
});
