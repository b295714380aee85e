// The build pipeline behind `ferry build`, `ferry builder` and the demo: build the fleet at a
// revision, then (as asked) push, write the pins into the work tree or commit them.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { destination, type Logger } from 'pino';
import { createLogger } from '#kernel/logger.js';
import { RegistryPublisher } from '../push/registry-publisher.js';
import { gitDirOf } from '#kernel/source/git-revision.js';
import { FerryError } from '#kernel/errors.js';
import { SchemaValidator } from '#kernel/validate.js';
import { dockerCredentials } from '../config/docker-credentials.js';
import { commitAuthor, commitPins } from '../pin/commit-pins.js';
import { pinMessage } from '../pin/pin-message.js';
import { buildFleet, type BuildReport } from './build-fleet.js';
import { BuildCache, defaultCacheDir } from './build-cache.js';
import { layerTime } from '../image/layer-time.js';
import { StageRegistry } from '../engine/stage-registry.js';

export interface BuildOptions {
  readonly path: string;
  readonly revision: string;
  readonly push?: boolean;
  readonly commit?: boolean;
  readonly branch?: string;
  readonly author?: string;
  readonly platform: string[];
  readonly cache: boolean;
  /** Reuse the pinned images' layers of unchanged steps (`--no-reuse` turns it off). */
  readonly reuse?: boolean;
  /** The build cache folder (compressed layers); default ~/.cache/ferry. */
  readonly cacheDir?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

export interface BuildOutcome {
  readonly report: BuildReport;
  /** The pin commit, when one was made. */
  readonly pinCommit: string | null;
}

/** Builds and, as asked, pushes, pins into the work tree or commits (`ferry build`, `ferry builder`, the demo). */
export async function runBuild(
  repo: string,
  options: BuildOptions,
  logger = createLogger('ferry', { level: options.verbose ? 'debug' : 'warn' }, destination(2)),
  docker = new Docker(),
): Promise<BuildOutcome> {
  if (options.commit && !options.push)
    throw new FerryError(
      'FERRY_USAGE',
      '--commit needs --push: a pinned digest must exist in the registry',
    );
  const gitdir = await gitDirOf(repo);
  const cache = await BuildCache.open(options.cacheDir ?? defaultCacheDir());
  const stage = await startStage(docker, cache, logger);
  try {
    return await buildAndPin(repo, gitdir, options, { docker, cache, logger, stage });
  } finally {
    await stage?.stop();
  }
}

/**
 * The stage registry, when the engine is on this machine (a Unix socket: it can reach our
 * loopback), the build cache was kept from earlier builds, and `FERRY_BUILD_STAGE` is not `off`;
 * otherwise builds are read with `docker save`. A cold cache (a CI runner that keeps nothing)
 * reads with `docker save`: the engine's first push to a stage compresses every layer, the
 * base's too (about 3 s for a 120 MiB base), where a save only copies them (about 1.5 s).
 */
async function startStage(
  docker: Docker,
  cache: BuildCache,
  logger: Logger,
): Promise<StageRegistry | undefined> {
  const local = Boolean((docker.modem as { socketPath?: string }).socketPath);
  if (!local || cache.fresh || process.env.FERRY_BUILD_STAGE === 'off') return undefined;
  return StageRegistry.start(join(cache.dir, 'stage')).catch((error: Error) => {
    logger.warn({ event: 'build.stage_unavailable', reason: error.message }, 'no stage registry');
    return undefined;
  });
}

async function buildAndPin(
  repo: string,
  gitdir: string,
  options: BuildOptions,
  deps: { docker: Docker; cache: BuildCache; logger: Logger; stage: StageRegistry | undefined },
): Promise<BuildOutcome> {
  const { docker, cache, logger, stage } = deps;
  const report = await buildFleet({
    gitdir,
    root: options.path,
    revision: options.revision,
    push: options.push ?? false,
    noCache: !options.cache,
    reuse: options.reuse ?? true,
    platforms: options.platform,
    docker,
    registry: new RegistryPublisher({ credentials: dockerCredentials, logger }),
    cache,
    credentials: dockerCredentials,
    ...(stage ? { stage } : {}),
    time: layerTime(),
    validator: new SchemaValidator(),
    logger,
  });
  let pinCommit: string | null = null;
  if (options.push && report.pins.length > 0) {
    const files = new Map(report.pins.map((p) => [p.file, p.text]));
    if (options.commit) {
      pinCommit = await commitPins({
        dir: repo,
        gitdir,
        parent: report.commit,
        files,
        message: pinMessage(report),
        author: await commitAuthor(gitdir, options.author),
        ...(options.branch ? { branch: options.branch } : {}),
      });
    } else {
      for (const [file, text] of files) await writeFile(join(repo, file), text);
    }
  }
  return { report, pinCommit };
}
