// Three simulated gateways: one `ferryd run` process per device, all on this machine's engine,
// each in its own engine namespace and counting only its own layers as present (as separate
// devices would), with its state and log in the run's folder (demo-run.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FERRYD_NODE_FLAGS } from '../daemon/src/cli/node-flags.js';
import type { DaemonStatus } from '../daemon/src/report/daemon-status.js';
import type { DemoRun, RunDevice } from './demo-run.js';

export interface Gateway {
  readonly device: string;
  readonly api: string;
  readonly child: ChildProcess;
}

/** Stops the ferryd processes a killed demo run left. */
export async function stopLeftovers(run: DemoRun): Promise<void> {
  for (const device of run.devices) {
    const pid = Number(
      await readFile(join(run.dir, device.id, 'ferryd.pid'), 'utf8').catch(() => ''),
    );
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  }
}

export async function startGateway(
  ferryd: string,
  run: DemoRun,
  { id: device, apiPort: port }: RunDevice,
  url: string,
): Promise<Gateway> {
  const dir = join(run.dir, device);
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'ferryd.yaml');
  await writeFile(
    config,
    [
      `device: { id: ${device} }`,
      `source: { url: "${url}", branch: main, interval: 2s }`,
      `engine: { namespace: ${device}, isolateLayers: true }`,
      `state: { dir: ${join(dir, 'state')} }`,
      `api: { listen: "127.0.0.1:${port}" }`,
      '',
    ].join('\n'),
  );
  const log = createWriteStream(join(dir, 'ferryd.log'));
  // As systemd and the image start it: with ferryd's node flags.
  const child = spawn(process.execPath, [...FERRYD_NODE_FLAGS, ferryd, 'run', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  await writeFile(join(dir, 'ferryd.pid'), String(child.pid));
  return { device, api: `http://127.0.0.1:${port}`, child };
}

export async function statusOf(gateway: Gateway): Promise<DaemonStatus | undefined> {
  return fetch(`${gateway.api}/status`)
    .then((r) => r.json() as Promise<DaemonStatus>)
    .catch(() => undefined);
}

/** Polls every gateway until each has converged on `revision`; fails after `ms`. */
export async function waitConverged(
  gateways: readonly Gateway[],
  revision: string,
  ms = 180_000,
): Promise<DaemonStatus[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const statuses = await Promise.all(gateways.map(statusOf));
    if (statuses.every((s) => s?.appliedRevision === revision && s.lastPass?.converged))
      return statuses as DaemonStatus[];
    if (Date.now() > deadline) {
      const states = statuses.map(
        (s, i) => `${gateways[i]!.device}: ${s?.lastPass?.errors.join('; ') ?? 'no status'}`,
      );
      throw new Error(
        `gateways did not converge on ${revision.slice(0, 12)}:\n  ${states.join('\n  ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function stopGateways(gateways: readonly Gateway[]): Promise<void> {
  await Promise.all(
    gateways.map(async (g) => {
      if (g.child.exitCode !== null) return;
      const exited = new Promise((r) => g.child.once('exit', r));
      g.child.kill('SIGTERM');
      await exited;
    }),
  );
}
