// The tools `npm run bench:app-update` compares (see app-update.ts): how each builds and pushes a
// version, and how its device takes it.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BuildReport } from '../builder/src/pipeline/build-fleet.js';
import { runBuild } from '../builder/src/pipeline/run-build.js';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import type { ImageManifest } from '#kernel/oci/media-types.js';
import { RegistryClient } from '#kernel/oci/registry-client.js';
import { ferrydConfig, ferrydOnce } from '../test/helpers/ferryd-harness.js';
import type { FleetRepo } from '../test/helpers/fleet-repo.js';
import type { RegistryProxy } from '../test/helpers/registry-proxy.js';
import { repoRoot } from '../test/helpers/run-cli.js';
import { testEnv } from '../test/helpers/test-env.js';
import { DEVICE_SOCKET } from './device-engine.js';

const exec = promisify(execFile);
export const DEPS_MIB = Number(process.env.BENCH_DEPS_MIB ?? 30);
export const APP = 'apps/telemetry-api';
const registry = new RegistryClient();

export interface Version {
  readonly name: string;
  readonly what: string;
  change(workTree: string): Promise<void>;
}

export async function edit(file: string, change: (text: string) => string): Promise<void> {
  await writeFile(file, change(await readFile(file, 'utf8')));
}

const git = async (cwd: string, ...args: string[]) =>
  (await exec('git', args, { cwd, maxBuffer: 1 << 24 })).stdout.trim();

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}

/** `ferry build` with its peak RSS measured (test/helpers/peak-rss.ts). */
async function ferryBuild(
  dir: string,
  args: string[],
): Promise<{ report: BuildReport; rss: number }> {
  const rssFile = join(await mkdtemp(join(tmpdir(), 'bench-rss-')), 'rss');
  const child = spawn(
    process.execPath,
    [
      '--import',
      `${repoRoot}dist/test/helpers/peak-rss.js`,
      `${repoRoot}bin/ferry.js`,
      'build',
      dir,
      '--json',
      ...args,
    ],
    { env: { ...process.env, FERRY_BENCH_RSS_FILE: rssFile }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`ferry build failed (${code}): ${stderr}`);
  const rss = Number(await readFile(rssFile, 'utf8'));
  await rm(join(rssFile, '..'), { recursive: true, force: true });
  return { report: JSON.parse(stdout) as BuildReport, rss };
}

/** The build `ferry builder` runs for a commit, in this process; no RSS of its own to report. */
async function serviceBuild(dir: string): Promise<{ report: BuildReport; rss: number }> {
  const { report } = await runBuild(dir, {
    path: '.',
    revision: 'HEAD',
    push: true,
    commit: true,
    platform: ['linux/amd64'],
    cache: true,
  });
  return { report, rss: 0 };
}

/** Seconds `ferry --version` takes: the CLI's fixed cost (loading its modules). */
export async function ferryStartup(): Promise<number> {
  const { seconds } = await timed(() =>
    exec(process.execPath, [`${repoRoot}bin/ferry.js`, '--version']),
  );
  return seconds;
}

export interface Sample {
  bytes: number;
  seconds: number;
  rss?: number;
  /** Ferry: compressed bytes of layers whose content is new in this version. */
  ideal?: number;
  largestLayer?: number;
}

export interface Scenario {
  readonly repo: FleetRepo;
  readonly image: string;
  readonly proxy: RegistryProxy;
  readonly proxyHost: string;
  readonly scratch: string[];
  /** The device id ferryd runs as (devices/<id>.yaml targets it). */
  readonly device: string;
}

export interface Tool {
  readonly name: string;
  /** Builds and pushes `version` of the operator's latest commit; returns the build's figures. */
  build(s: Scenario, version: Version): Promise<Omit<Sample, 'bytes'>>;
  /** The device takes `version`. */
  install(s: Scenario, version: Version): Promise<void>;
}

async function freshClone(s: Scenario, depth?: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-clone-'));
  s.scratch.push(dir);
  await git(
    tmpdir(),
    'clone',
    '--quiet',
    ...(depth ? ['--depth', String(depth)] : []),
    s.repo.url,
    dir,
  );
  return dir;
}

/**
 * Ferry's builder: `cli` runs `ferry build` per version (Node.js starts each time), `service` runs
 * the same build in this long-lived process as `ferry builder` does for each commit (modules
 * loaded once), `cold` is `ferry build --no-cache` from a fresh depth-1 clone with an empty cache.
 */
export function ferryTool(mode: 'cli' | 'service' | 'cold'): Tool {
  const cold = mode === 'cold';
  let builderClone: string | undefined;
  let setup: Awaited<ReturnType<typeof ferrydConfig>> | undefined;
  let previousDiffIds = new Set<string>();
  return {
    name: { cli: 'Ferry', service: 'Ferry svc', cold: 'Ferry cold' }[mode],
    async build(s) {
      let dir: string;
      const args = ['--push', '--commit'];
      if (cold) {
        dir = await freshClone(s, 1);
        const cache = await mkdtemp(join(tmpdir(), 'bench-cache-'));
        s.scratch.push(cache);
        args.push('--no-cache', '--cache-dir', cache);
      } else {
        builderClone ??= await freshClone(s);
        dir = builderClone;
        await git(dir, 'pull', '--quiet', '--ff-only', 'origin', 'main');
      }
      const { seconds, value } = await timed(() =>
        mode === 'service' ? serviceBuild(dir) : ferryBuild(dir, args),
      );
      await git(dir, 'push', '--quiet', 'origin', 'HEAD:main');
      await git(s.repo.workTree, 'pull', '--quiet', '--ff-only', 'origin', 'main');
      const built = value.report.images[0]!;
      const layers = built.platforms[0]!.layers;
      // The least any tool must send: the layers with new content, the manifest and the config.
      const ref = parseImageReference(s.image);
      const manifest = await registry.getManifest(ref, built.digest);
      const configSize = (JSON.parse(manifest.bytes.toString('utf8')) as ImageManifest).config.size;
      const ideal =
        layers.filter((l) => !previousDiffIds.has(l.diffId)).reduce((sum, l) => sum + l.size, 0) +
        (built.unchanged ? 0 : manifest.bytes.length + configSize);
      previousDiffIds = new Set(layers.map((l) => l.diffId));
      return {
        seconds,
        rss: value.rss,
        ideal,
        largestLayer: Math.max(...layers.map((l) => l.size)),
      };
    },
    async install(s) {
      if (!setup) {
        setup = await ferrydConfig(
          s.device,
          s.repo.url,
          `registry: { mirrors: { "${testEnv.registry}": ["http://${s.proxyHost}"] } }\n`,
          { socket: DEVICE_SOCKET }, // the device is the second engine
        );
      }
      const pass = await ferrydOnce(setup);
      if (pass.result.code !== 0) throw new Error(`ferryd once failed: ${pass.result.stdout}`);
    },
  };
}

export function dockerTool(cold: boolean): Tool {
  let builderClone: string | undefined;
  return {
    name: cold ? 'docker cold' : 'docker warm',
    async build(s, version) {
      let dir: string;
      if (cold) dir = await freshClone(s, 1);
      else {
        builderClone ??= await freshClone(s);
        dir = builderClone;
        await git(dir, 'pull', '--quiet', '--ff-only', 'origin', 'main');
      }
      const tag = `${s.image}:${version.name}`;
      const { seconds } = await timed(async () => {
        await exec('docker', [
          'build',
          ...(cold ? ['--no-cache'] : []),
          '-q',
          '--build-arg',
          `DEPS_MIB=${DEPS_MIB}`,
          '-t',
          tag,
          join(dir, APP),
        ]);
        await exec('docker', ['push', '-q', tag]);
      });
      return { seconds };
    },
    async install(s, version) {
      const device = `${s.proxyHost}/${s.image.slice(testEnv.registry.length + 1)}:${version.name}`;
      await exec('docker', ['-H', `unix://${DEVICE_SOCKET}`, 'pull', '-q', device], {
        timeout: 600_000,
      });
    },
  };
}
