// A second Docker engine that stands for a gateway: its own data root and socket, no images but
// what a tool under test pulls into it. Builds happen on the main engine, so a device never sees
// layers (or `docker push` metadata) the builder left behind, as a real gateway would not.
// It belongs to the benchmarks alone, so wiping it destroys nobody's work.
import { execFile, spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const ROOT = process.env.FERRY_BENCH_HOME ?? '/var/tmp/ferry-bench';
export const DEVICE_SOCKET = `${ROOT}/engine2.sock`;
/**
 * The device engine's own default bridge. Not `--bridge=none`: with that, dockerd deletes the
 * host's `docker0` on start and the main engine's containers lose their network.
 */
const BRIDGE = 'ferrybench0';
const BRIDGE_ADDRESS = '172.31.250.1/24';
const exec = promisify(execFile);

async function ensureBridge(): Promise<void> {
  const present = await exec('ip', ['link', 'show', BRIDGE]).then(
    () => true,
    () => false,
  );
  if (present) return;
  await exec('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  await exec('ip', ['addr', 'add', BRIDGE_ADDRESS, 'dev', BRIDGE]);
  await exec('ip', ['link', 'set', BRIDGE, 'up']);
}

async function ping(docker: Docker): Promise<boolean> {
  return docker.ping().then(
    () => true,
    () => false,
  );
}

/** Starts the device engine unless it answers already; returns a client for it. */
export async function deviceEngine(): Promise<Docker> {
  const docker = new Docker({ socketPath: DEVICE_SOCKET });
  if (await ping(docker)) return docker;
  const dir = `${ROOT}/engine2`;
  await mkdir(dir, { recursive: true });
  await ensureBridge();
  const log = await open(`${dir}/dockerd.log`, 'a');
  // Its own bridge and no iptables rules: the main engine owns those; user networks still work.
  const child = spawn(
    'dockerd',
    [
      `--host=unix://${DEVICE_SOCKET}`,
      `--data-root=${dir}/data`,
      `--exec-root=${dir}/exec`,
      `--pidfile=${dir}/docker.pid`,
      `--bridge=${BRIDGE}`,
      '--iptables=false',
      '--ip-masq=false',
    ],
    { detached: true, stdio: ['ignore', log.fd, log.fd] },
  );
  child.unref();
  // The engine has its own copy of the log's descriptor; ours is closed (not left to the GC).
  await log.close();
  for (let i = 0; i < 300; i += 1) {
    if (await ping(docker)) return docker;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the device engine did not start (see ${dir}/dockerd.log)`);
}

/** Removes every container, image and volume of the device engine: a fresh gateway. */
export async function wipeDevice(docker: Docker): Promise<void> {
  for (const c of await docker.listContainers({ all: true }))
    await docker.getContainer(c.Id).remove({ force: true, v: true });
  for (const image of await docker.listImages({ all: true }))
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => undefined);
  await docker.pruneVolumes().catch(() => undefined);
  await docker.pruneNetworks().catch(() => undefined);
}
