// A FleetReader over plain objects: `{ 'fleet.yaml': '...', 'devices/a.yaml': '...' }`, with
// other revisions given as further objects. Lets unit tests drive the loader and resolver.
import { FerryError } from '#kernel/errors.js';
import type { EntryKind, FleetReader } from '#kernel/source/fleet-reader.js';

export type FleetFiles = Readonly<Record<string, string>>;

export class MemoryReader implements FleetReader {
  /** Every path read or listed, in order: what a loader touched. */
  readonly touched: string[] = [];

  constructor(
    private readonly files: FleetFiles,
    readonly revision: string | null = 'head',
    private readonly revisions: Readonly<Record<string, FleetFiles>> = {},
  ) {}

  async readFile(path: string): Promise<string | undefined> {
    this.touched.push(path);
    return this.files[path];
  }

  async listFolder(path: string): Promise<string[]> {
    this.touched.push(`${path}/`);
    const prefix = path === '.' ? '' : `${path}/`;
    const names = Object.keys(this.files)
      .filter((file) => file.startsWith(prefix))
      .map((file) => file.slice(prefix.length).split('/')[0] ?? '');
    return [...new Set(names)].sort();
  }

  async kindOf(path: string): Promise<EntryKind | undefined> {
    if (this.files[path] !== undefined) return path.endsWith('.sh') ? 'executable' : 'file';
    return Object.keys(this.files).some((f) => f.startsWith(`${path}/`)) ? 'folder' : undefined;
  }

  async readBytes(path: string, maxBytes: number): Promise<Buffer | undefined> {
    this.touched.push(path);
    const text = this.files[path];
    if (text === undefined) return undefined;
    if (Buffer.byteLength(text) > maxBytes)
      throw new FerryError('FERRY_INVALID', `${path}: file is larger than ${maxBytes} bytes`);
    return Buffer.from(text);
  }

  async atRevision(revision: string): Promise<FleetReader> {
    const files = this.revisions[revision];
    if (!files)
      throw new FerryError('FERRY_NOT_FOUND', `revision '${revision}' not found`, { revision });
    return new MemoryReader(files, revision, this.revisions);
  }
}
