// Drives the real ferryd against the real engine, registry and git server: test images pushed
// to the registry, fleet repositories on the git server, ferryd.yaml files, and clean-up.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PassReport } from '../../daemon/src/report/pass-report.js';
import { createFleetRepo, type FleetRepo } from './fleet-repo.js';
import { freePort } from './free-port.js';
import { buildImage, docker, pushImage } from './images.js';
import { repoRoot, runCli, type CliResult } from './run-cli.js';
import { testEnv } from './test-env.js';

let counter = 0;
/** A device id of its own for each test, so tests never see each other's containers. */
export function uniqueDevice(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/**
 * Builds an image from the test base with the given Dockerfile lines (after FROM), pushes it and
 * returns its pinned reference `repo@sha256:...`.
 */
export async function pushTestImage(
  repository: string,
  lines: string[],
  files: Record<string, string> = {},
): Promise<string> {
  const context = await mkdtemp(join(tmpdir(), 'ferry-image-'));
  await writeFile(
    join(context, 'Dockerfile'),
    [`FROM ${testEnv.baseImage}`, ...lines].join('\n') + '\n',
  );
  for (const [name, content] of Object.entries(files))
    await writeFile(join(context, name), content);
  const tag = `${testEnv.registry}/${repository}:t${process.pid}-${++counter}`;
  await buildImage(context, tag);
  await pushImage(tag);
  const digests = (await docker.getImage(tag).inspect()).RepoDigests;
  const pinned = digests.find((d) => d.startsWith(`${testEnv.registry}/${repository}@`));
  if (!pinned) throw new Error(`no digest recorded for ${tag}`);
  return pinned;
}

/** A tiny web app (busybox httpd answering `ok` on :8080), pushed and pinned. */
export function pushWebAppImage(): Promise<string> {
  return pushTestImage('ferry-test/app', [
    'RUN mkdir -p /www && echo ok > /www/index.html',
    'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]',
  ]);
}

/** Writes a fleet (files relative to the work tree) into a repository work tree. */
export async function writeFleet(workTree: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(workTree, path, '..'), { recursive: true });
    await writeFile(join(workTree, path), content);
  }
}

export interface FerrydSetup {
  readonly device: string;
  readonly configFile: string;
  readonly stateDir: string;
  readonly apiPort: number;
}

/**
 * A ferryd.yaml for `device` polling `url`; `extra` is appended (top-level keys), `engine` adds
 * keys to the engine section (e.g. `isolateLayers: true` for a device that must not count the
 * layers other tests left on the shared engine).
 */
export async function ferrydConfig(
  device: string,
  url: string,
  extra = '',
  engine: Readonly<Record<string, string | boolean>> = {},
): Promise<FerrydSetup> {
  const dir = await mkdtemp(join(tmpdir(), `ferryd-${device}-`));
  const stateDir = join(dir, 'state');
  const apiPort = await freePort();
  const configFile = join(dir, 'ferryd.yaml');
  await writeFile(
    configFile,
    `device: { id: ${device} }\nsource: { url: "${url}", interval: 1s }\nengine: { ${Object.entries(
      { namespace: device, ...engine },
    )
      .map(([key, value]) => `${key}: ${String(value)}`)
      .join(
        ', ',
      )} }\nstate: { dir: ${stateDir} }\napi: { listen: "127.0.0.1:${apiPort}" }\n${extra}`,
  );
  return { device, configFile, stateDir, apiPort };
}

export async function ferrydOnce(
  setup: FerrydSetup,
  options: { measureRss?: boolean; env?: Readonly<Record<string, string>> } = {},
): Promise<{ result: CliResult; report: PassReport; peakRss?: number }> {
  const rssFile = join(setup.stateDir, '..', 'peak-rss');
  const result = await runCli('ferryd', ['once', '--config', setup.configFile, '--json'], {
    timeoutMs: 180_000,
    env: {
      ...options.env,
      ...(options.measureRss
        ? {
            NODE_OPTIONS: `--import ${repoRoot}dist/test/helpers/peak-rss.js`,
            FERRY_BENCH_RSS_FILE: rssFile,
          }
        : {}),
    },
  });
  const peakRss = options.measureRss ? Number(await readFile(rssFile, 'utf8')) : undefined;
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  let report: PassReport;
  try {
    report = JSON.parse(last) as PassReport;
  } catch {
    throw new Error(
      `ferryd once printed no JSON summary (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { result, report, ...(peakRss === undefined ? {} : { peakRss }) };
}

export interface ContainerView {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly labels: Record<string, string>;
  readonly env: string[];
}

/** The device's managed containers, as `docker ps -a` would show them, by name. */
export async function deviceContainers(device: string): Promise<Map<string, ContainerView>> {
  const list = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`ferry.device=${device}`] }),
  });
  const out = new Map<string, ContainerView>();
  for (const c of list) {
    const info = await docker.getContainer(c.Id).inspect();
    out.set(info.Name.replace(/^\//, ''), {
      id: c.Id,
      name: info.Name.replace(/^\//, ''),
      state: info.State.Status,
      labels: info.Config.Labels,
      env: info.Config.Env,
    });
  }
  return out;
}

/** What `docker exec CONTAINER sh -c SCRIPT` prints (stdout and stderr together), and its exit code. */
export async function execIn(
  container: string,
  script: string,
): Promise<{ code: number; output: string }> {
  const exec = await docker.getContainer(container).exec({
    Cmd: ['sh', '-c', script],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => stream.on('end', resolve));
  // The engine multiplexes stdout and stderr with an 8-byte header per frame.
  const raw = Buffer.concat(chunks);
  let output = '';
  for (let at = 0; at + 8 <= raw.length;) {
    const size = raw.readUInt32BE(at + 4);
    output += raw.subarray(at + 8, at + 8 + size).toString('utf8');
    at += 8 + size;
  }
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, output };
}

/** Removes everything a device's ferryd created (containers, networks, volumes). */
export async function cleanDevice(device: string): Promise<void> {
  const filters = JSON.stringify({ label: [`ferry.device=${device}`] });
  for (const c of await docker.listContainers({ all: true, filters }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  for (const n of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);
}

/**
 * A fleet repository with one deployment `iot` of `stacks/iot` for `device` (the device file
 * given vars), plus `files` (paths relative to the work tree), and a ferryd.yaml for the device.
 */
export async function oneStackFleet(
  name: string,
  device: string,
  files: Record<string, string>,
  options: { healthTimeout?: string; vars?: string } = {},
): Promise<{ repo: FleetRepo; setup: FerrydSetup }> {
  const repo = await createFleetRepo(name, `${repoRoot}/fleet-examples/bms/devices`);
  await rm(`${repo.workTree}/floor-0.yaml`);
  await writeFleet(repo.workTree, {
    'fleet.yaml': fleetYaml(
      `  - name: iot\n    stack: stacks/iot\n    target: { devices: [${device}] }\n    update: { healthTimeout: ${options.healthTimeout ?? '30s'} }\n`,
    ),
    [`devices/${device}.yaml`]: `vars: ${options.vars ?? '{}'}\n`,
    ...files,
  });
  return { repo, setup: await ferrydConfig(device, repo.url) };
}

export function fleetYaml(deployments: string): string {
  return `apiVersion: ferry/v1\nkind: Fleet\ndeployments:\n${deployments}`;
}

/** A gateway that runs one service (`svc`/`app`) from a good image, for attacks on what it runs. */
export interface RunningGateway {
  readonly device: string;
  readonly repo: FleetRepo;
  readonly setup: FerrydSetup;
  readonly goodImage: string;
  /** The container of the good version. */
  readonly runningId: string;
  /** Commits the stack with `image` for the service; returns the commit. */
  deploy(image: string, message: string): Promise<string>;
  remove(): Promise<void>;
}

export async function runningGateway(name: string): Promise<RunningGateway> {
  const device = uniqueDevice(name);
  const goodImage = await pushWebAppImage();
  const repo = await createFleetRepo(name, `${repoRoot}/fleet-examples/bms/apps`);
  const deploy = async (image: string, message: string) => {
    await writeFleet(repo.workTree, {
      'fleet.yaml': fleetYaml(
        `  - name: svc\n    stack: stacks/svc\n    target: { devices: [${device}] }\n`,
      ),
      'stacks/svc/compose.yaml': `services:\n  app:\n    image: ${image}\n`,
    });
    return repo.commit(message);
  };
  await deploy(goodImage, 'good');
  const setup = await ferrydConfig(device, repo.url);
  const first = await ferrydOnce(setup);
  if (first.result.code !== 0) throw new Error(`first pass failed: ${first.result.stdout}`);
  const runningId = (await deviceContainers(device)).get(`${device}.svc.app`)?.id ?? '';
  return {
    device,
    repo,
    setup,
    goodImage,
    runningId,
    deploy,
    async remove() {
      await cleanDevice(device);
      await repo.remove();
    },
  };
}
