// Reading a registry's answers without trusting their size: every body read into memory has a
// limit, checked against Content-Length first and against the bytes as they arrive, so a hostile
// or broken registry cannot make ferryd hold more than the limit.
import { FerryError } from '../errors.js';

/** Manifests and indexes: the OCI distribution spec has registries accept at least 4 MiB. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Image configs: their history grows with layers, still far below this. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
/** Token endpoint answers. */
export const MAX_TOKEN_BYTES = 64 * 1024;
/**
 * Layers per image: overlay2 stacks at most 128 lower directories and Docker refuses images past
 * that, so a manifest with more is refused before any download.
 */
export const MAX_LAYERS = 127;

/** The whole body, or FERRY_REGISTRY as soon as it passes `limit` bytes (the rest is not read). */
export async function readBounded(
  response: Response,
  limit: number,
  what: string,
): Promise<Buffer> {
  const tooLarge = () =>
    new FerryError('FERRY_REGISTRY', `${what} is larger than ${limit} bytes; refused`, { limit });
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks, total);
}
