// One build unit (an image some services build) from a commit's tree: built by the engine per
// platform, then assembled reproducibly, reusing the pinned image's layers where a step's inputs
// did not change (layer-plan.ts).
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import type { Credentials } from '#kernel/oci/registry-auth.js';
import type { RegistryClient } from '#kernel/oci/registry-client.js';
import { formatPlatform, resolveImage, type Platform } from '#kernel/oci/resolve-image.js';
import type { GitTreeReader } from '#kernel/source/git-tree-reader.js';
import { FerryError } from '#kernel/errors.js';
import { imageIndex } from '../push/push-image.js';
import { assembleImage, type AssembledImage } from '../image/assemble-image.js';
import { baseLayers } from '../image/base-layers.js';
import type { BuildCache } from './build-cache.js';
import type { BuildUnit } from './build-units.js';
import { collectLayers } from '../image/collect-layers.js';
import { baseImages, finalBaseImage } from '../dockerfile/dockerfile-base.js';
import { classicBuilderProblems, instructionOfStep } from '../dockerfile/dockerfile-check.js';
import {
  dockerfileInstructions,
  type DockerfileInstruction,
} from '../dockerfile/dockerfile-instructions.js';
import { engineBuild } from '../engine/engine-build.js';
import type { PinnedLayers } from '../image/layer-plan.js';
import type { StageRegistry } from '../engine/stage-registry.js';
import { contextTar } from './source-tree.js';
import { recordedStepKeys, type HistoryEntry } from '../dockerfile/step-keys.js';

export interface UnitBuildContext {
  readonly gitdir: string;
  /** Fleet root inside the repository. */
  readonly root: string;
  readonly docker: Docker;
  readonly registry: RegistryClient;
  readonly cache: BuildCache;
  /** The time of every file and history entry (layer-time.ts). */
  readonly time: Date;
  readonly noCache: boolean;
  /** Reuse the pinned image's layers of unchanged steps (off: every step's own bytes). */
  readonly reuse: boolean;
  readonly native: Platform;
  readonly logger: Logger;
  /** The stage registry the local engine pushes built images to (stage-registry.ts), if any. */
  readonly stage?: StageRegistry;
  /** Registry credentials by host (the Docker config and its helpers), for pulling bases. */
  readonly credentials?: (host: string) => Promise<Credentials | undefined>;
}

export interface PlatformImage {
  readonly image: AssembledImage;
  /** The previously pinned image's diff_ids for this platform; null when none or unreadable. */
  readonly previous: readonly string[] | null;
}

export interface Assembled {
  readonly unit: BuildUnit;
  readonly base: string | undefined;
  readonly commit: string;
  readonly platforms: readonly PlatformImage[];
  readonly digest: string;
}

export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture)
    throw new FerryError('FERRY_USAGE', `platform '${text}': expected os/arch[/variant]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** A fleet-relative path as a repository path, for a fleet rooted at `root`. */
export const join = (root: string, path: string) => (root === '.' ? path : `${root}/${path}`);

/** The pinned image for a platform, with the step keys it recorded; undefined when unreadable. */
async function pinnedImage(
  ctx: UnitBuildContext,
  unit: BuildUnit,
  platform: Platform,
): Promise<PinnedLayers | undefined> {
  if (!unit.previous) return undefined;
  try {
    const image = await resolveImage(ctx.registry, `${unit.image}@${unit.previous}`, platform);
    const config = JSON.parse(image.configBytes.toString('utf8')) as { history?: HistoryEntry[] };
    return { ref: image.ref, layers: image.layers, keys: recordedStepKeys(config.history ?? []) };
  } catch (error) {
    ctx.logger.warn(
      { event: 'build.previous_unreadable', image: unit.image, reason: String(error) },
      'previous pin unreadable: nothing of it is reused',
    );
    return undefined;
  }
}

/** The build context as the engine gets it, and the Dockerfile's name inside it. */
async function buildContext(ctx: UnitBuildContext, reader: GitTreeReader, unit: BuildUnit) {
  const insideContext = unit.dockerfile.startsWith(`${unit.context}/`) || unit.context === '.';
  const dockerfileInTar = insideContext
    ? unit.context === '.'
      ? unit.dockerfile
      : unit.dockerfile.slice(unit.context.length + 1)
    : '.ferry.Dockerfile';
  const dockerfilePath = join(ctx.root, unit.dockerfile);
  const context = await contextTar(ctx.gitdir, reader.revision, {
    context: join(ctx.root, unit.context),
    mtime: ctx.time,
    ...(insideContext ? {} : { extraDockerfile: { path: dockerfilePath, name: dockerfileInTar } }),
  });
  return { context, dockerfileInTar };
}

interface BuildInput {
  readonly registryConfig: Record<string, Credentials>;
  readonly context: Buffer;
  readonly dockerfileInTar: string;
  readonly instructions: readonly DockerfileInstruction[];
  readonly base: string | undefined;
  readonly count: number;
}

/** Where a unit's image waits in the stage registry: one tag per platform, moved each build. */
function stageName(unit: BuildUnit, platform: string): { repository: string; tag: string } {
  return {
    repository: `ferry-stage/${unit.repository.toLowerCase().replace(/[^a-z0-9/]+/g, '-')}`,
    tag: platform.replace(/[^A-Za-z0-9_.-]/g, '-'),
  };
}

const serviceOf = (unit: BuildUnit) =>
  `service ${unit.services.join(', ')} in ${unit.stack.split('/').at(-1)}`;

/** An engine failure as the user needs it: Dockerfile, line, instruction, the engine's words. */
function buildFailure(
  ctx: UnitBuildContext,
  unit: BuildUnit,
  instructions: readonly DockerfileInstruction[],
  platform: string,
  error: unknown,
): unknown {
  if (!(error instanceof FerryError) || error.code !== 'FERRY_BUILD') return error;
  const file = join(ctx.root, unit.dockerfile);
  const step = typeof error.data.step === 'number' ? error.data.step : undefined;
  const at = step === undefined ? undefined : instructionOfStep(instructions, step);
  const where = at ? `${file}:${at.line}: ${at.keyword} ${at.args.slice(0, 100)}` : file;
  const output = Array.isArray(error.data.output) ? (error.data.output as string[]) : [];
  return new FerryError(
    'FERRY_BUILD',
    `${where}: ${error.message} (${serviceOf(unit)}, ${platform})` +
      output.map((line) => `\n  | ${line}`).join(''),
    { service: unit.services[0], dockerfile: file, ...(at ? { line: at.line } : {}), platform },
  );
}

async function buildPlatform(
  ctx: UnitBuildContext,
  unit: BuildUnit,
  built: BuildInput,
  platform: Platform,
): Promise<PlatformImage> {
  const started = Date.now();
  const name = formatPlatform(platform);
  // The pinned image is read from the registry while the engine builds (it never rejects).
  const pinnedRead = pinnedImage(ctx, unit, platform);
  const imageId = await engineBuild(ctx.docker, built.context, {
    dockerfile: built.dockerfileInTar,
    buildArgs: unit.buildArgs,
    ...(unit.target ? { target: unit.target } : {}),
    platform: name,
    // The engine keeps one platform per tag: pull the base for this one unless it is the
    // only (native) platform built, where a base made locally must keep working.
    pull: built.count > 1 || name !== formatPlatform(ctx.native),
    noCache: ctx.noCache,
    ...(Object.keys(built.registryConfig).length ? { registryConfig: built.registryConfig } : {}),
    onOutput: (line) => ctx.logger.debug({ event: 'build.output', image: unit.image, line }),
  }).catch((error: unknown) => {
    throw buildFailure(ctx, unit, built.instructions, name, error);
  });
  const pinned = await pinnedRead;
  const collected = await collectLayers({
    docker: ctx.docker,
    cache: ctx.cache,
    imageId,
    platform: name,
    base: await baseLayers(ctx.docker, ctx.registry, built.base, platform, ctx.logger),
    ...(pinned && ctx.reuse ? { pinned } : {}),
    time: ctx.time,
    ...(ctx.stage ? { stage: { registry: ctx.stage, ...stageName(unit, name) } } : {}),
    logger: ctx.logger,
  });
  const image = assembleImage(collected.engineConfig, collected.layers, platform, ctx.time);
  ctx.logger.info(
    {
      event: 'build.built',
      image: unit.image,
      platform: name,
      manifest: image.manifestDigest,
      reused: collected.layers.filter((l) => l.reused).length,
      compressed: collected.compressed,
      ms: Date.now() - started,
    },
    `built ${unit.image} for ${name}`,
  );
  return { image, previous: pinned ? pinned.layers.map((l) => l.diffId) : null };
}

/** Credentials for the registries the bases come from, keyed by host as the engine wants them. */
async function baseCredentials(
  ctx: UnitBuildContext,
  bases: readonly string[],
): Promise<Record<string, Credentials>> {
  const config: Record<string, Credentials> = {};
  for (const base of bases) {
    const host = parseImageReference(base).host;
    const found = host in config ? undefined : await ctx.credentials?.(host);
    if (found) config[host === 'docker.io' ? 'https://index.docker.io/v1/' : host] = found;
  }
  return config;
}

export async function buildUnit(
  ctx: UnitBuildContext,
  reader: GitTreeReader,
  unit: BuildUnit,
): Promise<Assembled> {
  const dockerfileText = await reader.readFile(unit.dockerfile);
  if (dockerfileText === undefined)
    throw new FerryError(
      'FERRY_INVALID',
      `${unit.dockerfile}: no such Dockerfile (service ${unit.services[0]} in ${unit.stack})`,
    );
  const instructions = dockerfileInstructions(dockerfileText);
  const problems = classicBuilderProblems(instructions);
  if (problems.length > 0) {
    const file = join(ctx.root, unit.dockerfile);
    throw new FerryError(
      'FERRY_BUILD',
      problems.map((p) => `${file}:${p.line}: ${p.message}`).join('\n') + ` (${serviceOf(unit)})`,
      { service: unit.services[0], dockerfile: file, line: problems[0]!.line },
    );
  }
  const { context, dockerfileInTar } = await buildContext(ctx, reader, unit);
  const base = finalBaseImage(dockerfileText, unit.buildArgs, unit.target);
  const registryConfig = await baseCredentials(ctx, baseImages(dockerfileText, unit.buildArgs));
  const platforms = unit.platforms.map(parsePlatform);
  const built: PlatformImage[] = [];
  for (const platform of platforms)
    built.push(
      await buildPlatform(
        ctx,
        unit,
        { registryConfig, context, dockerfileInTar, instructions, base, count: platforms.length },
        platform,
      ),
    );
  const images = built.map((b) => b.image);
  const digest = images.length === 1 ? images[0]!.manifestDigest : imageIndex(images).digest;
  return { unit, base, commit: reader.revision, platforms: built, digest };
}
