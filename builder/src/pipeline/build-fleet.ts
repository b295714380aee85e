// `ferry build`: every build unit of the fleet at the repository's HEAD, built per platform by the
// engine, assembled reproducibly, optionally pushed and pinned. Returns the build report.
import { builtImageName } from '#kernel/fleet/built-image.js';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import { chainIds } from '#kernel/oci/layer-diff.js';
import type { Credentials } from '#kernel/oci/registry-auth.js';
import type { RegistryPublisher } from '../push/registry-publisher.js';
import { formatPlatform, type Platform } from '#kernel/oci/resolve-image.js';
import { GitTreeReader } from '#kernel/source/git-tree-reader.js';
import type { SchemaValidator } from '#kernel/validate.js';
import { pinCompose, type PinChange } from '../pin/pin-compose.js';
import { ImagePusher, type PushTotals } from '../push/push-image.js';
import type { BuildCache } from './build-cache.js';
import type { StageRegistry } from '../engine/stage-registry.js';
import { buildUnits } from './build-units.js';
import { buildUnit, join, type Assembled } from './build-unit.js';

export interface BuildRequest {
  readonly gitdir: string;
  /** Fleet root inside the repository. */
  readonly root: string;
  readonly revision: string;
  readonly push: boolean;
  readonly noCache: boolean;
  /** Reuse the pinned images' layers of unchanged steps (default true). */
  readonly reuse: boolean;
  /** Platforms for services whose compose file names none. */
  readonly platforms: readonly string[];
  readonly docker: Docker;
  readonly registry: RegistryPublisher;
  readonly cache: BuildCache;
  readonly time: Date;
  readonly validator: SchemaValidator;
  readonly logger: Logger;
  readonly credentials?: (host: string) => Promise<Credentials | undefined>;
  readonly stage?: StageRegistry;
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
  /** Taken from the previously pinned image: the step's inputs did not change. */
  readonly reused: boolean;
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
  /** The commit built, and the one time every file and history entry carries. */
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

/** The report entry of one built image: its layers, what they share, what changed. */
function describe(built: Assembled, all: readonly Assembled[], time: Date): BuiltImage {
  const platforms: BuiltPlatform[] = [];
  for (const { image, previous } of built.platforms) {
    const chains = chainIds(image.layers.map((l) => l.diffId));
    const previousChains = previous ? new Set(chainIds(previous)) : null;
    const others = all
      .filter((o) => o !== built)
      .map((o) => {
        const same = o.platforms.find(
          (p) => formatPlatform(p.image.platform) === formatPlatform(image.platform),
        );
        const services = o.unit.services.join('+');
        const stackName = o.unit.stack.split('/').at(-1);
        return {
          name: o.unit.stack === built.unit.stack ? services : `${stackName}/${services}`,
          chains: new Set(same ? chainIds(same.image.layers.map((l) => l.diffId)) : []),
        };
      });
    platforms.push({
      platform: formatPlatform(image.platform),
      manifestDigest: image.manifestDigest,
      layers: image.layers.map((layer, i) => ({
        digest: layer.digest,
        diffId: layer.diffId,
        size: layer.size,
        step: layer.fromBase ? `(base ${built.base})` : layer.createdBy,
        fromBase: layer.fromBase,
        sharedWith: others.filter((o) => o.chains.has(chains[i]!)).map((o) => o.name),
        changed: previousChains ? !previousChains.has(chains[i]!) : null,
        reused: layer.reused,
      })),
    });
  }
  return {
    stack: built.unit.stack,
    services: built.unit.services,
    image: built.unit.image,
    base: built.base ?? null,
    source: { commit: built.commit, date: time.toISOString() },
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

  const context = { ...request, native };
  const built: Assembled[] = [];
  for (const unit of units) built.push(await buildUnit(context, reader, unit));

  const pusher = new ImagePusher(request.registry, request.cache.scratch);
  if (request.push) {
    for (const { unit, platforms } of built) {
      const target = parseImageReference(unit.image);
      const images = platforms.map((p) => p.image);
      await pusher.push(target, images, target.tag ?? 'latest');
      request.logger.info({ event: 'build.pushed', image: unit.image }, `pushed ${unit.image}`);
    }
  }

  const images = built.map((b) => describe(b, built, request.time));
  const pins: PinnedFile[] = [];
  for (const stack of new Set(units.map((u) => u.stack))) {
    const loaded = fleet.stacks.get(stack)!;
    const text = (await reader.readFile(loaded.file)) ?? '';
    const digests = new Map(
      built.filter((b) => b.unit.stack === stack).map((b) => [b.unit.repository, b.digest]),
    );
    const registry = fleet.fleet.defaults?.registry;
    const pinned = pinCompose(text, digests, (service) =>
      registry ? builtImageName(registry, stack, service) : undefined,
    );
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
