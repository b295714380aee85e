// Reproducible layers: Docker 20.10's BuildKit predates `rewrite-timestamp`, so the same inputs
// built twice give layers with different file times, and so different digests, and every device
// would download "nothing changed" again. Normalising each layer tar fixes that: entries sorted by
// name, modification times clamped to the commit time (never later than it), ownership and
// modes kept, and a deterministic gzip (fixed level, no name, zero header time).
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';

export interface NormalizedLayer {
  /** The normalised, uncompressed tar: its sha256 is the layer's diff_id. */
  readonly tar: Buffer;
  readonly diffId: string;
  /** The deterministic gzip of `tar`: its sha256 is the blob digest. */
  readonly gzip: Buffer;
  readonly digest: string;
}

interface Entry {
  readonly header: Header;
  readonly body: Buffer;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function readEntries(layer: Buffer): Promise<Entry[]> {
  const extract = tar.extract();
  const entries: Entry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        entries.push({ header, body: Buffer.concat(chunks) });
        next();
      });
      stream.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(layer);
  await done;
  return entries;
}

async function writeEntries(entries: readonly Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const { header, body } of entries) {
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, body, (error) => (error ? reject(error) : resolve())),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Normalises one layer tar (uncompressed) for a commit made at `commitTime`. */
export async function normalizeLayer(layer: Buffer, commitTime: Date): Promise<NormalizedLayer> {
  const clamp = commitTime.getTime();
  const entries = (await readEntries(layer)).map(({ header, body }) => {
    const mtime =
      header.mtime && header.mtime.getTime() <= clamp
        ? new Date(Math.floor(header.mtime.getTime() / 1000) * 1000)
        : new Date(Math.floor(clamp / 1000) * 1000);
    // Access and change times vary with every checkout and carry no meaning in an image.
    const {
      atime: _atime,
      ctime: _ctime,
      pax: _pax,
      ...kept
    } = header as Header & { atime?: Date; ctime?: Date; pax?: unknown };
    return { header: { ...kept, mtime }, body };
  });
  entries.sort((a, b) =>
    a.header.name < b.header.name ? -1 : a.header.name > b.header.name ? 1 : 0,
  );
  const normalized = await writeEntries(entries);
  const gzip = gzipSync(normalized, { level: 6 });
  return { tar: normalized, diffId: sha256(normalized), gzip, digest: sha256(gzip) };
}
