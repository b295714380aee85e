// What polling costs the servers at fleet scale: BENCH_DEVICES (10,000) gateways each polling
// every BENCH_INTERVAL seconds (30: 333 polls/s), for BENCH_SECONDS, against
//   (a) the git HTTP server (git http-backend behind a Node wrapper), with ferryd's own remote
//       check (isomorphic-git ls-refs over protocol v2: two requests per poll), and
//   (b) Debian's nginx serving beacon.json, with ferryd's own beacon watch (a conditional GET;
//       304 while nothing changes), git untouched.
// Measured: polls answered per second, p50/p99, failures, the server's CPU, bytes on the wire
// per poll. (That the beacon path sends nothing to git while the beacon is unchanged is asserted
// by test/integration/ferryd-beacon.test.ts, through a byte-counting proxy.) Then what verifying
// costs a gateway: an SSH signature on a commit, and a beacon. Run: `npm run bench:poll-scale`.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, readFileSync, writeFile } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import {
  BEACON_NAMESPACE,
  canonicalBeacon,
  verifyBeacon,
  beaconKey,
  type BeaconBody,
} from '#kernel/trust/beacon.js';
import { parseAllowedSigners } from '#kernel/trust/allowed-signers.js';
import { splitCommit, verifyCommit } from '#kernel/trust/commit-signature.js';
import { signEd25519, sshPublicLine } from '#kernel/trust/ssh-signature.js';
import { BeaconWatch } from '../daemon/src/source/beacon-watch.js';
import { startCountingProxy } from '../test/helpers/counting-proxy.js';
import { createFleetRepo } from '../test/helpers/fleet-repo.js';
import { freePort } from '../test/helpers/free-port.js';
import { repoRoot } from '../test/helpers/run-cli.js';
import { testEnv } from '../test/helpers/test-env.js';
import { cpuWithChildren, openLoop, percentile } from './measure.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 10_000);
const INTERVAL = Number(process.env.BENCH_INTERVAL ?? 30);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const RATE = DEVICES / INTERVAL;
const POLLS = Math.round(RATE * SECONDS);

const tempDir = (prefix: string) => promisify(mkdtemp)(join(tmpdir(), prefix));
const write = promisify(writeFile);

interface Run {
  latencies: number[];
  failed: number;
  seconds: number;
  cpu: number;
}

async function started(child: ChildProcess, url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited`);
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url}: the server did not start`);
}

/** Polls with `poll` at the fleet's rate; the server's CPU is read from `pid`. */
async function load(pid: number, poll: () => Promise<void>): Promise<Run> {
  const latencies: number[] = [];
  let failed = 0;
  const cpuBefore = await cpuWithChildren(pid);
  const seconds = await openLoop(POLLS, SECONDS, async () => {
    const start = performance.now();
    try {
      await poll();
      latencies.push(performance.now() - start);
    } catch {
      failed += 1;
    }
  });
  return { latencies, failed, seconds, cpu: (await cpuWithChildren(pid)) - cpuBefore };
}

async function gitRun() {
  const repo = await createFleetRepo('pollscale', `${repoRoot}/fleet-examples/bms/apps`);
  await repo.commit('a fleet');
  const root = join(testEnv.home, 'git');
  const port = await freePort();
  const server = spawn(
    process.execPath,
    [`${repoRoot}dist/test/env/git-http-server.js`, '--port', String(port), '--root', root],
    { stdio: 'ignore' },
  );
  await started(server, `http://127.0.0.1:${port}/_health`);
  const url = repo.url.replace(/:\d+\//, `:${port}/`);
  const ls = (at: string) =>
    git
      .listServerRefs({ http, url: at, prefix: 'refs/heads/main', protocolVersion: 2 })
      .then(() => undefined);
  const proxy = await startCountingProxy(String(port));
  await ls(repo.url.replace(/:\d+\//, `:${new URL(proxy.url).port}/`));
  const wire = proxy.total();
  await proxy.close();
  const run = await load(server.pid ?? 0, () => ls(url));
  server.kill();
  await repo.remove();
  return { run, wire };
}

function signedBeacon(): { text: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const now = Date.now();
  const body: BeaconBody = {
    v: 1,
    branch: 'main',
    commit: 'a'.repeat(40),
    sequence: Math.floor(now / 1000),
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 86_400_000).toISOString(),
  };
  const signature = signEd25519(privateKey, canonicalBeacon(body), BEACON_NAMESPACE);
  return {
    text: JSON.stringify({ ...body, signature }, null, 2),
    publicKey: sshPublicLine(publicKey),
  };
}

async function nginxRun() {
  const dir = await tempDir('ferry-nginx-');
  // nginx's worker runs as an unprivileged user: it must be able to read the folder.
  await promisify(chmod)(dir, 0o755);
  const { text, publicKey } = signedBeacon();
  await write(join(dir, 'beacon.json'), text);
  const port = await freePort();
  await write(
    join(dir, 'nginx.conf'),
    `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;\n` +
      `events { worker_connections 4096; }\n` +
      `http { access_log off; etag on; server { listen 127.0.0.1:${port}; root ${dir}; } }\n`,
  );
  const server = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/beacon.json`;
  await started(server, url);
  // Each simulated gateway keeps its ETag and last sequence as ferryd does (100 state dirs).
  const watches = await Promise.all(
    Array.from({ length: 100 }, async () => {
      const stateDir = await tempDir('ferry-beacon-state-');
      return new BeaconWatch({ url, publicKey, branch: 'main', stateDir });
    }),
  );
  for (const watch of watches) await watch.look();
  const proxy = await startCountingProxy(String(port));
  const viaProxy = new BeaconWatch({
    url: url.replace(String(port), new URL(proxy.url).port),
    publicKey,
    branch: 'main',
    stateDir: await tempDir('ferry-beacon-state-'),
  });
  await viaProxy.look();
  proxy.reset();
  await viaProxy.look();
  const wire = proxy.total();
  await proxy.close();
  // nginx's master forks one worker: its CPU is counted through the worker's own /proc entry.
  const worker = Number(
    readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8').trim().split(' ')[0],
  );
  let k = 0;
  const run = await load(worker, async () => {
    const look = await watches[k++ % watches.length]!.look();
    if (look.frozen) throw new Error('frozen');
  });
  server.kill('SIGQUIT');
  return { run, wire };
}

function verificationCost() {
  const fixture = (name: string) =>
    readFileSync(join(repoRoot, 'test/fixtures/trust', name), 'utf8');
  const commit = splitCommit(fixture('signed-commit.oid').trim(), fixture('signed-commit'));
  const allowed = parseAllowedSigners(`ops@example ${fixture('ed.pub')}`).signers;
  const { text, publicKey } = signedBeacon();
  const key = beaconKey(publicKey);
  const time = (work: () => unknown) => {
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const start = performance.now();
      work();
      samples.push(performance.now() - start);
    }
    return percentile(samples, 50);
  };
  return {
    commit: time(() => verifyCommit(commit, allowed)),
    beacon: time(() =>
      verifyBeacon(text, { key, branch: 'main', lastSequence: 0, now: Date.now() }),
    ),
  };
}

const ms = (v: number) => `${v.toFixed(1).padStart(7)} ms`;
function print(name: string, result: { run: Run; wire: number }) {
  const { run } = result;
  const answered = run.latencies.length;
  console.log(`  ${name}`);
  console.log(
    `    polls answered     ${(answered / run.seconds).toFixed(0)}/s of ${RATE.toFixed(0)}/s asked, ${run.failed} failed (${((run.failed / POLLS) * 100).toFixed(1)}%)`,
  );
  console.log(
    `    latency            p50 ${ms(percentile(run.latencies, 50))}  p99 ${ms(percentile(run.latencies, 99))}`,
  );
  console.log(
    `    server CPU         ${((run.cpu / run.seconds) * 100).toFixed(0)}% of one core (${((run.cpu / Math.max(1, answered)) * 1000).toFixed(2)} ms per poll)`,
  );
  console.log(`    on the wire        ${result.wire} bytes per poll`);
}

console.log(
  `poll scale: ${DEVICES} gateways every ${INTERVAL}s = ${RATE.toFixed(0)} polls/s, for ${SECONDS}s each\n`,
);
const beacon = await nginxRun();
const gitPolls = await gitRun();
print('(a) git server: ls-refs (what ferryd does without a beacon)', gitPolls);
print('(b) nginx: beacon.json, conditional GET (ferryd with source.beacon)', beacon);
const cost = verificationCost();
console.log('\non the gateway, median of 200:');
console.log(`  verify a commit's SSH signature   ${cost.commit.toFixed(2)} ms`);
console.log(`  verify a beacon                   ${cost.beacon.toFixed(2)} ms`);
