// What ferryd costs a gateway while nothing changes: `ferryd run` on a one-stack fleet polling
// every BENCH_INTERVAL_MS (100), for BENCH_POLLS no-op polls (1,000), started the way it is
// installed (node with daemon/src/cli/node-flags.ts's flags; BENCH_NODE_FLAGS replaces them).
// Measured from outside the process: RSS after start, after the first pass, and sampled every
// second during the polls (median and peak), split into anonymous memory (the process's own) and
// file-backed pages (node's binary, shared with every Node.js process and dropped by the kernel
// under pressure); CPU per poll (/proc/PID/stat), disk writes per poll (/proc/PID/io), and Docker
// Engine API requests and bytes per poll (a counting proxy on the engine socket). Beside it: an
// idle Node.js process, and the wall time of one `git ls-remote` (what a poll must at least ask).
// Run: `npm run bench:footprint`.
import { execFile, spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { promisify } from 'node:util';
import {
  cleanDevice,
  ferrydConfig,
  oneStackFleet,
  pushWebAppImage,
  uniqueDevice,
} from '../test/helpers/ferryd-harness.js';
import { eventually } from '../test/helpers/eventually.js';
import { FERRYD_NODE_FLAGS } from '../daemon/src/cli/node-flags.js';
import { repoRoot } from '../test/helpers/run-cli.js';

const POLLS = Number(process.env.BENCH_POLLS ?? 1000);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 100);
const exec = promisify(execFile);

/** A proxy in front of the Docker socket that counts requests and bytes both ways. */
async function engineProxy(path: string) {
  const counts = { requests: 0, bytes: 0 };
  const server = createServer((client) => {
    const engine = connect('/var/run/docker.sock');
    client.on('data', (chunk: Buffer) => {
      counts.bytes += chunk.length;
      counts.requests +=
        chunk.toString('latin1').match(/^(GET|POST|PUT|DELETE|HEAD) \//gm)?.length ?? 0;
    });
    engine.on('data', (chunk: Buffer) => (counts.bytes += chunk.length));
    client.pipe(engine).pipe(client);
    client.on('error', () => engine.destroy());
    engine.on('error', () => client.destroy());
  });
  await rm(path, { force: true });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { counts, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function processFacts(pid: number) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) =>
    Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  return {
    rssMiB: kib('VmRSS'),
    anonMiB: kib('RssAnon'),
    fileMiB: kib('RssFile'),
    peakMiB: kib('VmHWM'),
    cpuMs: ((Number(stat[11]) + Number(stat[12])) / 100) * 1000,
    writeBytes: Number(/^write_bytes: (\d+)/m.exec(io)?.[1] ?? 0),
  };
}

async function passes(api: string): Promise<number> {
  const status = (await (await fetch(`${api}/status`)).json()) as { passes: number };
  return status.passes;
}

async function nodeFloor() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const facts = await processFacts(child.pid ?? 0);
  child.kill();
  return facts;
}

/** Samples the process every second until `done` settles; the samples' medians and maxima. */
async function sampleWhile(pid: number, done: Promise<unknown>) {
  const samples: Awaited<ReturnType<typeof processFacts>>[] = [];
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    samples.push(await processFacts(pid));
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 1000))]);
  }
  await done;
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1] ?? 0;
  const of = (key: 'rssMiB' | 'anonMiB' | 'fileMiB') => ({
    median: median(samples.map((s) => s[key])),
    max: Math.max(...samples.map((s) => s[key])),
  });
  return { rss: of('rssMiB'), anon: of('anonMiB'), file: of('fileMiB') };
}

/** Wall time of one `git ls-remote` of the branch: what any poll of git must at least ask. */
async function lsRemoteMs(url: string): Promise<number> {
  const runs = 20;
  const start = performance.now();
  for (let i = 0; i < runs; i++) await exec('git', ['ls-remote', url, 'refs/heads/main']);
  return (performance.now() - start) / runs;
}

const image = await pushWebAppImage();
const device = uniqueDevice('footprint');
const { repo } = await oneStackFleet('footprint', device, {
  'stacks/iot/compose.yaml': `services:\n  web:\n    image: ${image}\n`,
});
await repo.commit('one web service');
const socket = `/tmp/ferry-bench-docker-${process.pid}.sock`;
const proxy = await engineProxy(socket);
const setup = await ferrydConfig(device, repo.url, '', { socket });
const config = await readFile(setup.configFile, 'utf8');
await writeFile(setup.configFile, config.replace('interval: 1s', `interval: ${INTERVAL_MS}ms`));
const nodeFlags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [
  ...FERRYD_NODE_FLAGS,
];
const ferryd = spawn(
  process.execPath,
  [...nodeFlags, `${repoRoot}bin/ferryd.js`, 'run', '--config', setup.configFile],
  { stdio: 'ignore' },
);
const pid = ferryd.pid ?? 0;
const api = `http://127.0.0.1:${setup.apiPort}`;
await eventually(
  'ferryd answers',
  () =>
    fetch(`${api}/healthz`).then(
      (r) => r.ok,
      () => false,
    ),
  {
    timeoutMs: 20_000,
  },
);
const started = await processFacts(pid);
await eventually('the first pass converged', async () => (await passes(api)) >= 2, {
  timeoutMs: 120_000,
});
const firstPass = await processFacts(pid);
const before = { facts: firstPass, passes: await passes(api), ...proxy.counts };
const polled = eventually(
  `${POLLS} no-op polls`,
  async () => (await passes(api)) >= before.passes + POLLS,
  { timeoutMs: POLLS * (INTERVAL_MS + 200) + 60_000, everyMs: 1000 },
);
const during = await sampleWhile(pid, polled);
const after = await processFacts(pid);
const polls = (await passes(api)) - before.passes;
const engine = {
  requests: proxy.counts.requests - before.requests,
  bytes: proxy.counts.bytes - before.bytes,
};
ferryd.kill();
await proxy.close();
const floor = await nodeFloor();
const lsRemote = await lsRemoteMs(repo.url);
await cleanDevice(device);
await repo.remove();

const mib = (value: number) => `${value.toFixed(1)} MiB`;
const split = (facts: { anonMiB: number; fileMiB: number }) =>
  `(anonymous ${mib(facts.anonMiB)}, file-backed ${mib(facts.fileMiB)})`;
console.log(`ferryd footprint: ${polls} no-op polls every ${INTERVAL_MS} ms`);
console.log(`node flags: ${nodeFlags.join(' ') || '(none)'}\n`);
console.log(`  RSS after start            ${mib(started.rssMiB)} ${split(started)}`);
console.log(`  RSS after the first pass   ${mib(firstPass.rssMiB)} ${split(firstPass)}`);
console.log(
  `  RSS during the polls       median ${mib(during.rss.median)}, max ${mib(during.rss.max)}`,
);
console.log(
  `    anonymous                median ${mib(during.anon.median)}, max ${mib(during.anon.max)}`,
);
console.log(
  `    file-backed              median ${mib(during.file.median)}, max ${mib(during.file.max)}`,
);
console.log(`  RSS after the polls        ${mib(after.rssMiB)} ${split(after)}`);
console.log(
  `  CPU per poll               ${((after.cpuMs - firstPass.cpuMs) / polls).toFixed(2)} ms`,
);
console.log(
  `  engine API per poll        ${(engine.requests / polls).toFixed(1)} requests, ${(engine.bytes / polls / 1024).toFixed(1)} KiB`,
);
console.log(
  `  disk writes per poll       ${((after.writeBytes - firstPass.writeBytes) / polls).toFixed(0)} bytes`,
);
console.log('\nbaselines:');
console.log(`  an idle Node.js process    ${mib(floor.rssMiB)} RSS ${split(floor)}`);
console.log(`  git ls-remote (wall time)  ${lsRemote.toFixed(1)} ms per call`);
