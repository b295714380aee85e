// From what the engine built to what the registry gets: the chosen layer blobs (layer-plan.ts) and
// a config written afresh with only what describes the image (no container IDs, host names or
// build times), every history entry dated with the one fixed time and each built layer's step
// key recorded, so that the same inputs always give the same config, manifest and digests.
import { createHash } from 'node:crypto';
import type { RemoteLayer } from '#kernel/oci/layer-diff.js';
import { MEDIA } from '#kernel/oci/media-types.js';
import type { Platform } from '#kernel/oci/resolve-image.js';
import { STEP_KEY_PREFIX, type HistoryEntry } from '../dockerfile/step-keys.js';

/** Where a push finds a blob's bytes: a file of the build cache, or a registry that has it. */
export type BlobSource =
  | { readonly file: string }
  | { readonly registry: { readonly host: string; readonly repository: string } };

export interface AssembledLayer extends RemoteLayer {
  readonly source: BlobSource;
  /** The build step that made it (`COPY ...`, `RUN ...`), from the image history. */
  readonly createdBy: string;
  /** True for layers of the base image, kept as they were. */
  readonly fromBase: boolean;
  /** Taken from the pinned image, whose same step had the same inputs. */
  readonly reused: boolean;
  readonly stepKey?: string;
}

export interface AssembledImage {
  readonly platform: Platform;
  readonly layers: readonly AssembledLayer[];
  readonly config: Buffer;
  readonly configDigest: string;
  readonly manifest: Buffer;
  readonly manifestDigest: string;
}

export interface EngineConfig {
  readonly config?: Record<string, unknown>;
  readonly rootfs?: { readonly diff_ids?: readonly string[] };
  readonly history?: readonly (HistoryEntry & { readonly created?: string })[];
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

/** Whole seconds, as tar headers have them. */
function isoSeconds(time: Date): string {
  return new Date(Math.floor(time.getTime() / 1000) * 1000).toISOString();
}

/** The image's history: fixed times, the engine's step texts, step keys on built layers. */
function historyOf(engine: EngineConfig, layers: readonly AssembledLayer[], created: string) {
  let layerIndex = 0;
  return (engine.history ?? []).map((h) => {
    const layer = h.empty_layer ? undefined : layers[layerIndex++];
    const key = layer && !layer.fromBase ? layer.stepKey : undefined;
    return {
      created,
      ...(h.created_by ? { created_by: h.created_by } : {}),
      ...(key ? { comment: `${STEP_KEY_PREFIX}${key}` } : {}),
      ...(h.empty_layer ? { empty_layer: true } : {}),
    };
  });
}

export function assembleImage(
  engine: EngineConfig,
  layers: readonly AssembledLayer[],
  platform: Platform,
  time: Date,
): AssembledImage {
  const runtime: Record<string, unknown> = {};
  for (const field of CONFIG_FIELDS) {
    const value = engine.config?.[field];
    if (value !== undefined && value !== null && value !== '') runtime[field] = value;
  }
  const created = isoSeconds(time);
  const config = Buffer.from(
    JSON.stringify({
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: runtime,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: historyOf(engine, layers, created),
    }),
  );
  const configDigest = sha256(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({
        // The same gzip bytes under the OCI name, as a Docker-typed layer may come from a base.
        mediaType: l.mediaType === MEDIA.dockerLayerGzip ? MEDIA.ociLayerGzip : l.mediaType,
        digest: l.digest,
        size: l.size,
      })),
    }),
  );
  return { platform, layers, config, configDigest, manifest, manifestDigest: sha256(manifest) };
}

/** `/bin/sh -c #(nop) COPY file:ab12… in /app/` -> `COPY file:ab12… in /app/`. */
export function stepName(createdBy: string): string {
  return createdBy
    .replace(/^\/bin\/sh -c #\(nop\)\s*/, '')
    .replace(/^(\|\d+ .*?)?\/bin\/sh -c /, 'RUN ')
    .trim();
}
