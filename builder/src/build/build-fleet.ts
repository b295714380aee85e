// `ferry build`: every build unit of the fleet at the repository's HEAD, built per platform by the
// engine, assembled reproducibly, optionally pushed and pinned. Returns the build report.
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { loadFleet } from '../../../daemon/src/desired/load-fleet.js';
import { parseImageReference } from '../../../daemon/src/fetch/image-reference.js';
import { chainIds } from '../../../daemon/src/fetch/layer-diff.js';
import type { RegistryClient } from '../../../daemon/src/fetch/registry-client.js';
import {
  formatPlatform,
  resolveImage,
  type Platform,
} from '../../../daemon/src/fetch/resolve-image.js';
import { GitTreeReader } from '../../../daemon/src/source/git-tree-reader.js';
import { FerryError } from '../../../schema/src/errors.js';
import type { SchemaValidator } from '../../../schema/src/validate.js';
import { pinCompose, type PinChange } from '../pin/pin-compose.js';
import { ImagePusher, imageIndex, type PushTotals } from '../push/push-image.js';
import { assembleImage, type AssembledImage } from './assemble-image.js';
import { buildUnits, type BuildUnit } from './build-units.js';
import { finalBaseImage } from './dockerfile-base.js';
import { engineBuild, saveImage } from './engine-build.js';
import { contextTar, sourceDate } from './source-tree.js';

export interface BuildRequest {
  readonly gitdir: string;
  /** Fleet root inside the repository. */
  readonly root: string;
  readonly revision: string;
  readonly push: boolean;
  readonly noCache: boolean;
  /** Platforms for services whose compose file names none. */
  readonly platforms: readonly string[];
  readonly docker: Docker;
  readonly registry: RegistryClient;
  readonly validator: SchemaValidator;
  readonly logger: Logger;
}

export interface BuiltLayer {
  readonly digest: string;
  readonly diffId: string;
  readonly size: number;
  readonly step: string;
  readonly fromBase: boolean;
  /** Other images of the fleet that have this layer (same chain ID): services, `stack/service` elsewhere. */
  readonly sharedWith: readonly string[];
  /** Not in the previously pinned image: a device that runs that one downloads it. */
  readonly changed: boolean | null;
}

export interface BuiltPlatform {
  readonly platform: string;
  readonly manifestDigest: string;
  readonly layers: readonly BuiltLayer[];
}

export interface BuiltImage {
  readonly stack: string;
  readonly services: readonly string[];
  readonly image: string;
  readonly base: string | null;
  readonly source: { readonly commit: string; readonly date: string };
  /** What the compose file should pin: the manifest, or the index over several platforms. */
  readonly digest: string;
  readonly previous: string | null;
  readonly unchanged: boolean;
  readonly platforms: readonly BuiltPlatform[];
}

export interface PinnedFile {
  readonly file: string;
  readonly text: string;
  readonly changes: readonly PinChange[];
}

export interface BuildReport {
  readonly commit: string;
  readonly pushed: boolean;
  readonly images: readonly BuiltImage[];
  readonly pins: readonly PinnedFile[];
  readonly upload: PushTotals | null;
}

export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture)
    throw new FerryError('FERRY_USAGE', `platform '${text}': expected os/arch[/variant]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

const join = (root: string, path: string) => (root === '.' ? path : `${root}/${path}`);

interface Assembled {
  readonly unit: BuildUnit;
  readonly base: string | undefined;
  readonly source: { commit: string; date: Date };
  readonly images: readonly AssembledImage[];
  readonly digest: string;
}

async function buildUnit(
  request: BuildRequest,
  reader: GitTreeReader,
  unit: BuildUnit,
  native: Platform,
): Promise<Assembled> {
  const { gitdir, root, docker } = request;
  const commit = reader.revision;
  const contextPath = join(root, unit.context);
  const dockerfilePath = join(root, unit.dockerfile);
  const source = await sourceDate(gitdir, commit, [contextPath, dockerfilePath]);
  const dockerfileText = await reader.readFile(unit.dockerfile);
  if (dockerfileText === undefined)
    throw new FerryError(
      'FERRY_INVALID',
      `${unit.dockerfile}: no such Dockerfile (service ${unit.services[0]} in ${unit.stack})`,
    );
  const insideContext = unit.dockerfile.startsWith(`${unit.context}/`) || unit.context === '.';
  const dockerfileInTar = insideContext
    ? unit.context === '.'
      ? unit.dockerfile
      : unit.dockerfile.slice(unit.context.length + 1)
    : '.ferry.Dockerfile';
  const context = await contextTar(gitdir, commit, {
    context: contextPath,
    mtime: source.date,
    ...(insideContext ? {} : { extraDockerfile: { path: dockerfilePath, name: dockerfileInTar } }),
  });
  const base = finalBaseImage(dockerfileText, unit.buildArgs, unit.target);
  const platforms = unit.platforms.map(parsePlatform);
  const images: AssembledImage[] = [];
  for (const platform of platforms) {
    const started = Date.now();
    const imageId = await engineBuild(docker, context, {
      dockerfile: dockerfileInTar,
      buildArgs: unit.buildArgs,
      ...(unit.target ? { target: unit.target } : {}),
      platform: formatPlatform(platform),
      // The engine keeps one platform per tag: pull the base for this one unless it is the
      // only (native) platform built, where a base made locally must keep working.
      pull: platforms.length > 1 || formatPlatform(platform) !== formatPlatform(native),
      noCache: request.noCache,
      onOutput: (line) => request.logger.debug({ event: 'build.output', image: unit.image, line }),
    });
    const baseLayers = base
      ? ((
          await docker
            .getImage(base)
            .inspect()
            .catch(() => undefined)
        )?.RootFS.Layers ?? [])
      : [];
    const image = await assembleImage(
      await saveImage(docker, imageId),
      baseLayers,
      platform,
      source.date,
    );
    images.push(image);
    request.logger.info(
      {
        event: 'build.built',
        image: unit.image,
        platform: formatPlatform(platform),
        manifest: image.manifestDigest,
        ms: Date.now() - started,
      },
      `built ${unit.image} for ${formatPlatform(platform)}`,
    );
  }
  const digest = images.length === 1 ? images[0]!.manifestDigest : imageIndex(images).digest;
  return { unit, base, source, images, digest };
}

/** Chain IDs of the previously pinned image per platform; none when it cannot be read. */
async function previousChains(
  registry: RegistryClient,
  unit: BuildUnit,
  platform: Platform,
  logger: Logger,
): Promise<Set<string> | null> {
  if (!unit.previous) return null;
  try {
    const image = await resolveImage(registry, `${unit.image}@${unit.previous}`, platform);
    return new Set(chainIds(image.layers.map((l) => l.diffId)));
  } catch (error) {
    logger.warn(
      { event: 'build.previous_unreadable', image: unit.image, reason: String(error) },
      'previous pin unreadable',
    );
    return null;
  }
}

async function describe(
  request: BuildRequest,
  built: Assembled,
  all: readonly Assembled[],
): Promise<BuiltImage> {
  const platforms: BuiltPlatform[] = [];
  for (const image of built.images) {
    const chains = chainIds(image.layers.map((l) => l.diffId));
    const previous = await previousChains(
      request.registry,
      built.unit,
      image.platform,
      request.logger,
    );
    const others = all
      .filter((o) => o !== built)
      .map((o) => {
        const same = o.images.find(
          (i) => formatPlatform(i.platform) === formatPlatform(image.platform),
        );
        const services = o.unit.services.join('+');
        const stackName = o.unit.stack.split('/').at(-1);
        return {
          name: o.unit.stack === built.unit.stack ? services : `${stackName}/${services}`,
          chains: new Set(same ? chainIds(same.layers.map((l) => l.diffId)) : []),
        };
      });
    platforms.push({
      platform: formatPlatform(image.platform),
      manifestDigest: image.manifestDigest,
      layers: image.layers.map((layer, i) => ({
        digest: layer.digest,
        diffId: layer.diffId,
        size: layer.gzip.length,
        step: layer.fromBase ? `(base ${built.base})` : layer.createdBy,
        fromBase: layer.fromBase,
        sharedWith: others.filter((o) => o.chains.has(chains[i]!)).map((o) => o.name),
        changed: previous ? !previous.has(chains[i]!) : null,
      })),
    });
  }
  return {
    stack: built.unit.stack,
    services: built.unit.services,
    image: built.unit.image,
    base: built.base ?? null,
    source: { commit: built.source.commit, date: built.source.date.toISOString() },
    digest: built.digest,
    previous: built.unit.previous ?? null,
    unchanged: built.unit.previous === built.digest,
    platforms,
  };
}

export async function buildFleet(request: BuildRequest): Promise<BuildReport> {
  const { gitdir, root, revision } = request;
  const reader = await GitTreeReader.open({ gitdir, root }, revision);
  const commit = reader.revision;
  const fleet = await loadFleet(reader, request.validator);
  const units = buildUnits(fleet, request.platforms);
  const version = await request.docker.version();
  const native: Platform = { os: version.Os, architecture: version.Arch };

  const built: Assembled[] = [];
  for (const unit of units) built.push(await buildUnit(request, reader, unit, native));

  const pusher = new ImagePusher(request.registry);
  if (request.push) {
    for (const { unit, images } of built) {
      const target = parseImageReference(unit.image);
      await pusher.push(target, images, target.tag ?? 'latest');
      request.logger.info({ event: 'build.pushed', image: unit.image }, `pushed ${unit.image}`);
    }
  }

  const images = await Promise.all(built.map((b) => describe(request, b, built)));
  const pins: PinnedFile[] = [];
  for (const stack of new Set(units.map((u) => u.stack))) {
    const loaded = fleet.stacks.get(stack)!;
    const text = (await reader.readFile(loaded.file)) ?? '';
    const digests = new Map(
      built.filter((b) => b.unit.stack === stack).map((b) => [b.unit.repository, b.digest]),
    );
    const pinned = pinCompose(text, digests);
    if (pinned.changes.length > 0)
      pins.push({
        file: join(request.root, loaded.file),
        text: pinned.text,
        changes: pinned.changes,
      });
  }
  return {
    commit,
    pushed: request.push,
    images,
    pins,
    upload: request.push ? pusher.totals : null,
  };
}
