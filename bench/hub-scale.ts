// One hub process under a fleet: BENCH_DEVICES (10,000) simulated gateways, each sending a
// heartbeat every 60 s (at a random point of the minute) while 5% of them send a state change
// instead, for BENCH_SECONDS (60), against `ferry hub` on SQLite and on PostgreSQL. Measured:
// ingest latency p50/p99, the hub's RSS and CPU, how long until a state change shows in the API,
// the fleet listing's time and size, and the bytes a device sends and receives per day (on the
// wire, through a counting proxy, with ferryd's own reporter code). The baseline beside it: the
// same load on a bare node:http server that reads each body and answers 200 (no checking, no
// database): what Node alone costs on this machine.
// Run: `npm run bench:hub-scale`.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { postJson } from '../daemon/src/report/hub-http.js';
import { heartbeatOf } from '../daemon/src/report/hub-reporter.js';
import { enroll, hubSetup, HubProcess, type HubDatabase } from '../test/helpers/hub-process.js';
import { startCountingProxy } from '../test/helpers/counting-proxy.js';
import { deviceId, enrollAll, heartbeat, post, stateReport } from './hub-load.js';
import { inParallel, percentile, processCost } from './measure.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const CHANGING = 0.05;
const PROBES = 10;

interface Window {
  latencies: number[];
  failed: number;
  sent: number;
}

/** One interval of load: every device reports once at a random moment; 5% send a change. */
async function steadyLoad(url: string, seqBase: number): Promise<Window> {
  const window: Window = { latencies: [], failed: 0, sent: 0 };
  const start = performance.now();
  const schedule = Array.from({ length: DEVICES }, (_, i) => ({
    i,
    at: Math.random() * SECONDS * 1000,
    change: Math.random() < CHANGING,
  })).sort((a, b) => a.at - b.at);
  const inFlight: Promise<void>[] = [];
  for (const event of schedule) {
    const wait = event.at - (performance.now() - start);
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const report = event.change
      ? stateReport(event.i, seqBase + 1, `rev-${seqBase}`)
      : heartbeat(event.i, seqBase + 1);
    window.sent += 1;
    inFlight.push(
      post(url, event.i, report).then((ms) => {
        if (ms < 0) window.failed += 1;
        else window.latencies.push(ms);
      }),
    );
  }
  await Promise.all(inFlight);
  return window;
}

/** Milliseconds from a state change's answer until GET /api/v1/devices/ID shows it. */
async function visibility(url: string, operatorToken: string, seq: number): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < PROBES; k++) {
    const i = Math.floor(Math.random() * DEVICES);
    const revision = `probe-${seq}-${k}`;
    await post(url, i, stateReport(i, seq + k, revision));
    const start = performance.now();
    for (;;) {
      const response = await fetch(`${url}/api/v1/devices/${deviceId(i)}`, {
        headers: { authorization: `Bearer ${operatorToken}` },
      });
      const body = (await response.json()) as { revision?: string };
      if (body.revision === revision) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    times.push(performance.now() - start);
  }
  return times;
}

async function listing(url: string, operatorToken: string) {
  const start = performance.now();
  const response = await fetch(`${url}/api/v1/devices`, {
    headers: { authorization: `Bearer ${operatorToken}` },
  });
  const bytes = (await response.arrayBuffer()).byteLength;
  return { ms: performance.now() - start, bytes };
}

async function hubRun(database: HubDatabase) {
  const setup = await hubSetup(database, '60s');
  const hub = await HubProcess.start(setup);
  const pid = hub.child.pid ?? 0;
  const databaseUrl = /url: "([^"]+)"/.exec(await readFile(setup.configFile, 'utf8'))?.[1];
  await enrollAll(databaseUrl ?? '', DEVICES);
  const registered = performance.now();
  await inParallel(
    DEVICES,
    16,
    async (i) => void (await post(setup.url, i, stateReport(i, 1, 'rev-0'))),
  );
  const registerSeconds = (performance.now() - registered) / 1000;
  const before = await processCost(pid);
  const load = await steadyLoad(setup.url, 10);
  const after = await processCost(pid);
  const seen = await visibility(setup.url, setup.operatorToken, 100);
  const list = await listing(setup.url, setup.operatorToken);
  const cost = await processCost(pid);
  await hub.stop();
  return { load, before, after, seen, list, peakRss: cost.peakRss, registerSeconds };
}

async function sinkRun() {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const load = await steadyLoad(url, 10);
  await new Promise((resolve) => server.close(resolve));
  return load;
}

/** Bytes one device sends and receives on the wire per heartbeat and per state report. */
async function wireBytes() {
  const setup = await hubSetup('sqlite', '60s');
  const hub = await HubProcess.start(setup);
  const token = await enroll(setup, 'gw-wire');
  const proxy = await startCountingProxy(new URL(setup.url).port);
  const call = { url: proxy.url, timeoutMs: 10_000 };
  const resources = stateReport(0, 0, 'x').resources;
  const beats = 20;
  proxy.reset();
  for (let seq = 1; seq <= beats; seq++)
    await postJson(
      call,
      '/api/v1/reports',
      token,
      heartbeatOf('gw-wire', seq, resources, new Date()),
    );
  const perHeartbeat = proxy.total() / beats;
  proxy.reset();
  await postJson(call, '/api/v1/reports', token, {
    ...stateReport(0, 100, 'rev-1'),
    device: 'gw-wire',
  });
  const perState = proxy.total();
  await proxy.close();
  await hub.stop();
  return { perHeartbeat, perState };
}

const ms = (v: number) => `${v.toFixed(1).padStart(7)} ms`;
const mib = (v: number) => `${(v / 1024 / 1024).toFixed(0)} MiB`;

function printLoad(name: string, load: Window) {
  console.log(
    `  ${name.padEnd(28)} p50 ${ms(percentile(load.latencies, 50))}  p99 ${ms(percentile(load.latencies, 99))}  ` +
      `${load.sent} reports, ${load.failed} failed`,
  );
}

console.log(
  `hub scale: ${DEVICES} devices, heartbeat every ${SECONDS}s, ${CHANGING * 100}% state changes per interval\n`,
);
const wire = await wireBytes();
console.log('on the wire, per device (request and answer, HTTP/1.1 keep-alive, no TLS):');
console.log(`  heartbeat          ${wire.perHeartbeat.toFixed(0)} bytes`);
console.log(`  state report       ${wire.perState.toFixed(0)} bytes`);
console.log(
  `  per day            ${((1440 * wire.perHeartbeat + 24 * wire.perState) / 1024).toFixed(0)} KiB ` +
    '(1,440 heartbeats at 60 s and, say, 24 state reports)\n',
);
const sink = await sinkRun();
for (const database of ['sqlite', 'postgres'] as const) {
  const run = await hubRun(database);
  const cpu = (run.after.cpuSeconds - run.before.cpuSeconds) / SECONDS;
  console.log(`ferry hub on ${database}:`);
  console.log(
    `  first state report of every device: ${run.registerSeconds.toFixed(1)} s (16 at a time)`,
  );
  printLoad('ingest', run.load);
  printLoad('baseline: bare node:http sink', sink);
  console.log(
    `  ratio p99 hub / sink         ${(percentile(run.load.latencies, 99) / percentile(sink.latencies, 99)).toFixed(1)}x`,
  );
  console.log(
    `  hub RSS ${mib(run.after.rss)} (peak ${mib(run.peakRss)}), CPU ${(cpu * 100).toFixed(0)}% of one core during the load`,
  );
  console.log(
    `  change visible in the API     p50 ${ms(percentile(run.seen, 50))}  max ${ms(Math.max(...run.seen))}`,
  );
  console.log(`  GET /api/v1/devices (all)     ${ms(run.list.ms)}  ${mib(run.list.bytes)}\n`);
}
