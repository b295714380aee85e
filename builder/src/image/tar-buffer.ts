// Tars held in memory: the builder's layers and contexts are small enough (tens of MiB) that
// whole buffers keep the code plain; tar-stream does the format.
import tar, { type Header } from 'tar-stream';

export interface TarEntry {
  readonly header: Header;
  readonly body: Buffer;
}

export type EntryHeader = Partial<Header> & Pick<Header, 'name'>;

/** Every entry of a tar, in archive order, with its body. */
export async function readTar(source: Buffer | NodeJS.ReadableStream): Promise<TarEntry[]> {
  const extract = tar.extract();
  const entries: TarEntry[] = [];
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
  if (Buffer.isBuffer(source)) extract.end(source);
  else {
    source.on('error', (error: Error) => extract.destroy(error));
    source.pipe(extract as unknown as NodeJS.WritableStream);
  }
  await done;
  return entries;
}

/** A tar of the entries, in the order given. */
export async function writeTar(
  entries: Iterable<{ readonly header: EntryHeader; readonly body?: Buffer }>,
): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const { header, body } of entries) {
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, body ?? Buffer.alloc(0), (error) => (error ? reject(error) : resolve())),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
