// From what the engine built to what the registry gets: the base image's layers kept byte for
// byte, the layers the build added normalised, and a config written afresh with only what
// describes the image (no container IDs, host names or build times), so that the same sources
// always give the same config, manifest and digests.
import { createHash } from 'node:crypto';
import type { Platform } from '../../../daemon/src/fetch/resolve-image.js';
import { MEDIA } from '../../../daemon/src/fetch/media-types.js';
import { keepLayer, normalizeLayer, type NormalizedLayer } from './normalize-layer.js';
import type { SavedImage } from './engine-build.js';

export interface AssembledLayer extends NormalizedLayer {
  /** The build step that made it (`COPY ...`, `RUN ...`), from the image history. */
  readonly createdBy: string;
  /** True for layers of the base image, kept as they were. */
  readonly fromBase: boolean;
}

export interface AssembledImage {
  readonly platform: Platform;
  readonly layers: readonly AssembledLayer[];
  readonly config: Buffer;
  readonly configDigest: string;
  readonly manifest: Buffer;
  readonly manifestDigest: string;
}

/** The parts of a container config that describe the image; everything else is build noise. */
const CONFIG_FIELDS = [
  'User',
  'ExposedPorts',
  'Env',
  'Entrypoint',
  'Cmd',
  'Healthcheck',
  'Volumes',
  'WorkingDir',
  'Labels',
  'StopSignal',
  'Shell',
  'OnBuild',
] as const;

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface EngineHistory {
  readonly created?: string;
  readonly created_by?: string;
  readonly empty_layer?: boolean;
}

function isPrefix(prefix: readonly string[], of: readonly string[]): boolean {
  return prefix.length <= of.length && prefix.every((id, i) => of[i] === id);
}

/** Whole seconds, as tar headers have them. */
function isoSeconds(time: Date): string {
  return new Date(Math.floor(time.getTime() / 1000) * 1000).toISOString();
}

export async function assembleImage(
  saved: SavedImage,
  baseDiffIds: readonly string[],
  platform: Platform,
  sourceDate: Date,
): Promise<AssembledImage> {
  const engineConfig = saved.config as {
    config?: Record<string, unknown>;
    rootfs?: { diff_ids?: string[] };
    history?: EngineHistory[];
  };
  const builtDiffIds = engineConfig.rootfs?.diff_ids ?? [];
  const baseCount = isPrefix(baseDiffIds, builtDiffIds) ? baseDiffIds.length : 0;
  // Every step is dated from the sources, like the files: a step taken from the build cache
  // would otherwise carry the time of whichever earlier build made it.
  const created = isoSeconds(sourceDate);
  const history = (engineConfig.history ?? []).map((h) => ({
    created,
    ...(h.created_by ? { created_by: h.created_by } : {}),
    ...(h.empty_layer ? { empty_layer: true } : {}),
  }));
  const layerSteps = history.filter((h) => !h.empty_layer).map((h) => h.created_by ?? '');

  const layers: AssembledLayer[] = [];
  for (const [index, tar] of saved.layers.entries()) {
    const fromBase = index < baseCount;
    const layer = fromBase ? keepLayer(tar) : await normalizeLayer(tar, sourceDate);
    layers.push({ ...layer, fromBase, createdBy: stepName(layerSteps[index] ?? '') });
  }

  const runtime: Record<string, unknown> = {};
  for (const field of CONFIG_FIELDS) {
    const value = engineConfig.config?.[field];
    if (value !== undefined && value !== null && value !== '') runtime[field] = value;
  }
  const config = Buffer.from(
    JSON.stringify({
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: runtime,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history,
    }),
  );
  const configDigest = sha256(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({
        mediaType: MEDIA.ociLayerGzip,
        digest: l.digest,
        size: l.gzip.length,
      })),
    }),
  );
  return { platform, layers, config, configDigest, manifest, manifestDigest: sha256(manifest) };
}

/** `/bin/sh -c #(nop) COPY file:ab12… in /app/` -> `COPY file:ab12… in /app/`. */
export function stepName(createdBy: string): string {
  return createdBy
    .replace(/^\/bin\/sh -c #\(nop\)\s*/, '')
    .replace(/^\/bin\/sh -c /, 'RUN ')
    .trim();
}
