// Reproducible layers: Docker 20.10's builders predate `rewrite-timestamp`, so the same inputs
// built twice give layers with different file times, and so different digests, and every device
// would download "nothing changed" again. Normalising each layer tar fixes that: entries sorted by
// name, every modification time set to one fixed time (layer-time.ts), ownership, modes and
// extended attributes kept. The build cache compresses the result deterministically.
import type { Header } from 'tar-stream';
import { readTar, writeTar } from './tar-buffer.js';

/** pax records worth keeping: extended attributes (file capabilities, SELinux labels). */
function keptPax(pax: unknown): Record<string, string> | undefined {
  if (!pax || typeof pax !== 'object') return undefined;
  const kept = Object.entries(pax as Record<string, string>).filter(([key]) =>
    /^(SCHILY|LIBARCHIVE)\.xattr\./.test(key),
  );
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/**
 * Normalises one layer tar (uncompressed): every entry gets `time`, not only the later ones, since
 * the engine's build cache matches COPY steps by content and ignores file times, so a cache hit
 * would otherwise bring back the times of an older build.
 */
export async function normalizeTar(layer: Buffer, time: Date): Promise<Buffer> {
  const mtime = new Date(Math.floor(time.getTime() / 1000) * 1000);
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
  return writeTar(entries);
}
