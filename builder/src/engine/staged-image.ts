// Reads a built image through the stage registry (stage-registry.ts): the engine pushes it there
// (only layers the stage lacks cross, compressed by the engine), then each layer the caller needs
// is read back from its blob, decompressed and checked against its diff_id.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type Docker from 'dockerode';
import { FerryError } from '#kernel/errors.js';
import type { SaveHandlers } from './saved-image.js';
import type { StageRegistry } from './stage-registry.js';

interface StagedManifest {
  readonly config: { readonly digest: string };
  readonly layers: readonly { readonly digest: string }[];
}

/** Follows an engine progress stream; rejects with the engine's words on a failed push. */
function followPush(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (error, events: { error?: string }[]) => {
      const failed = error ? String(error) : events.find((e) => e.error)?.error;
      if (failed) reject(new FerryError('FERRY_BUILD', `staging the built image: ${failed}`));
      else resolve();
    }),
  );
}

async function gunzipFile(file: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of createReadStream(file).pipe(createGunzip()))
    parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/**
 * Pushes `imageId` to the stage as `repository:tag` through the engine, hands every wanted layer
 * to `handlers.layer` (once per diff_id) and returns the engine's config bytes.
 */
export async function readStagedImage(
  docker: Docker,
  stage: StageRegistry,
  imageId: string,
  target: { readonly repository: string; readonly tag: string },
  handlers: SaveHandlers,
): Promise<Buffer> {
  const name = `${stage.host}/${target.repository}`;
  await docker.getImage(imageId).tag({ repo: name, tag: target.tag });
  // The engine wants an X-Registry-Auth header even for a registry without auth.
  await followPush(docker, await docker.getImage(`${name}:${target.tag}`).push({ authconfig: {} }));
  const manifest = stage.manifest(target.repository, target.tag);
  if (!manifest) throw new FerryError('FERRY_BUILD', `staging ${imageId}: no manifest arrived`);
  const { config, layers } = JSON.parse(manifest.toString('utf8')) as StagedManifest;
  const configBytes = await readFile(stage.blobFile(config.digest));
  if (`sha256:${createHash('sha256').update(configBytes).digest('hex')}` !== imageId)
    throw new FerryError('FERRY_BUILD', `staging ${imageId}: the config does not match the image`);
  const diffIds =
    (JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs
      ?.diff_ids ?? [];
  const seen = new Set<string>();
  for (const [index, layer] of layers.entries()) {
    const diffId = diffIds[index];
    if (!diffId || seen.has(diffId) || !handlers.wants(diffId)) continue;
    seen.add(diffId);
    const tar = await gunzipFile(stage.blobFile(layer.digest));
    if (`sha256:${createHash('sha256').update(tar).digest('hex')}` !== diffId)
      throw new FerryError(
        'FERRY_BUILD',
        `staging ${imageId}: layer ${index + 1} is not ${diffId}`,
      );
    await handlers.layer(diffId, tar);
  }
  return configBytes;
}
