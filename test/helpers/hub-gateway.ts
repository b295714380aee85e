// A hub with a gateway reporting to it: `ferry hub` (SQLite, enrollment secret), a fleet with one
// stack for the gateway, and `ferryd run` applying it and reporting every second.
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cleanDevice,
  ferrydConfig,
  oneStackFleet,
  pushWebAppImage,
  uniqueDevice,
  writeFleet,
  type FerrydSetup,
} from './ferryd-harness.js';
import { FerrydProcess } from './ferryd-process.js';
import type { FleetRepo } from './fleet-repo.js';
import { enroll, hubSetup, HubProcess, type HubSetup } from './hub-process.js';

/** The engine's own socket. */
export const ENGINE_SOCKET = '/var/run/docker.sock';

export const FAILURE_LINE = 'fatal: DB_URL is not set';

/** A web service that says it is ready on its output, and keeps a healthcheck. */
export const goodStack = (image: string) =>
  `services:\n  web:\n    image: ${image}\n    command: ["sh", "-c", "echo ready on 8080; exec httpd -f -p 8080 -h /www"]\n    healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"], interval: 1s, retries: 2 }\n`;

/** An update whose container explains on its output why it fails its healthcheck. */
export const badStack = (image: string) =>
  `services:\n  web:\n    image: ${image}\n    command: ["sh", "-c", "seq 1 300; sleep 0.3; echo '${FAILURE_LINE}' >&2; sleep 600"]\n    healthcheck: { test: ["CMD", "false"], interval: 1s, retries: 1 }\n`;

export interface HubGateway {
  readonly hub: HubSetup;
  readonly running: HubProcess;
  readonly device: string;
  readonly repo: FleetRepo;
  readonly setup: FerrydSetup;
  readonly gateway: FerrydProcess;
  readonly image: string;
  /** The fleet-wide enrollment secret's file. */
  readonly secretFile: string;
  /** The link to the engine's socket that ferryd.yaml names (engine.socket). */
  readonly socket: string;
  /** Commits `compose` as the gateway's stack and asks ferryd to sync now; the commit. */
  commitStack(compose: string, message: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startHubGateway(name: string): Promise<HubGateway> {
  const image = await pushWebAppImage();
  const secretFile = join(await mkdtemp(join(tmpdir(), 'ferry-hubsecret-')), 'secret');
  await writeFile(secretFile, `enroll-${process.pid}-${Date.now()}\n`);
  const hub = await hubSetup('sqlite', '1s', `enrollmentSecretFile: ${secretFile}\n`);
  const running = await HubProcess.start(hub);
  const device = uniqueDevice(name);
  const token = await enroll(hub, device);
  const { repo } = await oneStackFleet(name, device, {
    'stacks/iot/compose.yaml': goodStack(image),
  });
  await repo.commit('iot: web');
  const tokenFile = join(hub.dir, `${device}.token`);
  await writeFile(tokenFile, `${token}\n`);
  // The engine through a link of its own, so that a test can move ferryd to another path.
  const socket = join(hub.dir, 'docker-a.sock');
  await symlink(ENGINE_SOCKET, socket);
  const setup = await ferrydConfig(
    device,
    repo.url,
    `report: { url: "${hub.url}", tokenFile: ${tokenFile}, interval: 1s }\n`,
    { socket },
  );
  const gateway = new FerrydProcess(setup);
  await gateway.waitFor('the gateway converges', (s) => s.lastPass?.converged === true, 120_000);
  return {
    hub,
    running,
    device,
    repo,
    setup,
    gateway,
    image,
    secretFile,
    socket,
    async commitStack(compose, message) {
      await writeFleet(repo.workTree, { 'stacks/iot/compose.yaml': compose });
      const commit = await repo.commit(message);
      await fetch(`${gateway.api}/sync`, { method: 'POST' }).catch(() => undefined);
      return commit;
    },
    async stop() {
      await gateway.stop();
      await running.stop();
      await cleanDevice(device);
      await repo.remove();
    },
  };
}
