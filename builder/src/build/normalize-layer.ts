// Reproducible layers: Docker 20.10's BuildKit predates `rewrite-timestamp`, so the same inputs
// built twice give layers with different file times, and so different digests, and every device
// would download "nothing changed" again. Normalising each layer tar fixes that: entries sorted by
// name, modification times set to the sources' commit time, ownership and modes kept, and a
// deterministic gzip (fixed level, no name, zero header time).
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Header } from 'tar-stream';
import { readTar, writeTar } from './tar-buffer.js';

export interface NormalizedLayer {
  /** The normalised, uncompressed tar: its sha256 is the layer's diff_id. */
  readonly tar: Buffer;
  readonly diffId: string;
  /** The deterministic gzip of `tar`: its sha256 is the blob digest. */
  readonly gzip: Buffer;
  readonly digest: string;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** pax records worth keeping: extended attributes (file capabilities, SELinux labels). */
function keptPax(pax: unknown): Record<string, string> | undefined {
  if (!pax || typeof pax !== 'object') return undefined;
  const kept = Object.entries(pax as Record<string, string>).filter(([key]) =>
    /^(SCHILY|LIBARCHIVE)\.xattr\./.test(key),
  );
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/**
 * Normalises one layer tar (uncompressed) whose sources date from `sourceTime`. Every entry gets
 * that time, not only the later ones: the engine's build cache matches COPY steps by content and
 * ignores file times, so a cache hit would otherwise bring back the times of an older checkout
 * and the same sources would give two digests depending on the cache.
 */
export async function normalizeLayer(layer: Buffer, sourceTime: Date): Promise<NormalizedLayer> {
  const mtime = new Date(Math.floor(sourceTime.getTime() / 1000) * 1000);
  const entries = (await readTar(layer)).map(({ header, body }) => {
    // Access and change times vary with every checkout and carry no meaning in an image; of the
    // pax records only extended attributes are kept (times and paths are in the header).
    const {
      atime: _atime,
      ctime: _ctime,
      pax,
      ...kept
    } = header as Header & { atime?: Date; ctime?: Date };
    const xattrs = keptPax(pax);
    return { header: { ...kept, mtime, ...(xattrs ? { pax: xattrs } : {}) }, body };
  });
  entries.sort((a, b) =>
    a.header.name < b.header.name ? -1 : a.header.name > b.header.name ? 1 : 0,
  );
  return keepLayer(await writeTar(entries));
}

/** A layer kept byte for byte (a base image's), compressed the same deterministic way. */
export function keepLayer(layer: Buffer): NormalizedLayer {
  const gzip = gzipSync(layer, { level: 6 });
  return { tar: layer, diffId: sha256(layer), gzip, digest: sha256(gzip) };
}
