// Limits on what a git server sends ferryd, checked while the bytes stream in.
//
// isomorphic-git buffers a fetched packfile whole and inflates every object in it to index it, so
// one commit that adds a 1 GiB file of zeros (1 MB on the wire) anywhere in the repository would
// take ferryd past a gigabyte. No library exposes the sizes early, hence this small inspector: it
// reads the upload-pack answer as it arrives (pkt-lines, side-band channel 1 carries the pack),
// walks the pack's object headers, inflates each object with its output capped, and stops the
// fetch at the first object or pack past its limit, before isomorphic-git holds any of it.
import { inflateSync } from 'node:zlib';
import { FerryError } from '#kernel/errors.js';

export interface PackLimits {
  /** The largest object (file, tree, commit; for a delta, the object it makes). */
  readonly maxObjectBytes: number;
  /** The largest pack on the wire. */
  readonly maxPackBytes: number;
}

const OBJECT_TYPES = ['', 'commit', 'tree', 'blob', 'tag', '', 'ofs-delta', 'ref-delta'];

/** Thrown when a fetch passes a limit; the fetch is abandoned and nothing is stored. */
export class PackTooLarge extends FerryError {
  constructor(message: string) {
    super('FERRY_SOURCE', message);
  }
}

/**
 * Follows an upload-pack response body chunk by chunk. `push` throws PackTooLarge as soon as a
 * limit is passed; malformed framing is left for isomorphic-git to report.
 */
export class PackInspector {
  #wire = 0;
  /** Undecoded bytes of the response (pkt-line framing). */
  #framing = Buffer.alloc(0);
  #rawPack = false;
  /** Pack bytes not yet walked, as they arrived (joined only when an object is walked). */
  #chunks: Buffer[] = [];
  #pending = 0;
  #objects: number | undefined;
  #seen = 0;
  /** Pack bytes at the last inflate attempt that ran out of input (retried once it doubles). */
  #waitingFor = 0;

  constructor(private readonly limits: PackLimits) {}

  /** Objects the pack says it holds, once its header arrived. */
  get objectsInPack(): number | undefined {
    return this.#objects;
  }

  /** Objects walked (and checked) so far. */
  get objectsWalked(): number {
    return this.#seen;
  }

  push(chunk: Uint8Array): void {
    this.#wire += chunk.length;
    if (this.#wire > this.limits.maxPackBytes)
      throw new PackTooLarge(
        `the git server sent more than source.maxPackBytes (${this.limits.maxPackBytes} bytes) for one fetch`,
      );
    if (this.#rawPack) return this.#packBytes(Buffer.from(chunk));
    this.#framing = Buffer.concat([this.#framing, chunk]);
    while (this.#framing.length >= 4) {
      const length = Number.parseInt(this.#framing.subarray(0, 4).toString('latin1'), 16);
      if (Number.isNaN(length)) {
        // Not pkt-lines (a server without side-band): the rest is the pack itself.
        this.#rawPack = true;
        const rest = this.#framing;
        this.#framing = Buffer.alloc(0);
        return this.#packBytes(rest);
      }
      if (length < 4) {
        this.#framing = this.#framing.subarray(4);
        continue;
      }
      if (this.#framing.length < length) return;
      const payload = this.#framing.subarray(4, length);
      this.#framing = this.#framing.subarray(length);
      if (payload[0] === 1) this.#packBytes(payload.subarray(1));
    }
  }

  /** The response ended: walk what is left, however little arrived since the last attempt. */
  end(): void {
    this.#waitingFor = 0;
    this.#packBytes(Buffer.alloc(0));
  }

  #packBytes(bytes: Buffer): void {
    if (bytes.length > 0) {
      this.#chunks.push(Buffer.from(bytes));
      this.#pending += bytes.length;
    }
    for (;;) {
      if (this.#objects === undefined) {
        if (this.#pending < 12) return;
        const head = this.#joined();
        if (head.subarray(0, 4).toString('latin1') !== 'PACK') return;
        this.#objects = head.readUInt32BE(8);
        this.#consume(12);
      }
      if (this.#seen >= this.#objects) {
        // Only the pack's checksum is left: nothing to keep.
        this.#chunks = [];
        this.#pending = 0;
        return;
      }
      // Inflating again from an object's start only once twice its bytes are here (and joining
      // chunks only then) keeps the work linear in the pack's size.
      if (this.#pending < this.#waitingFor * 2) return;
      const walked = this.#object(this.#joined());
      if (walked === undefined) {
        this.#waitingFor = this.#pending;
        return;
      }
      this.#waitingFor = 0;
      this.#seen += 1;
      this.#consume(walked);
    }
  }

  #joined(): Buffer {
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks, this.#pending)];
    return this.#chunks[0]!;
  }

  #consume(bytes: number): void {
    this.#chunks = [this.#joined().subarray(bytes)];
    this.#pending -= bytes;
  }

  /** Bytes of the next object in the pack, or undefined when more must arrive first. */
  #object(pack: Buffer): number | undefined {
    let at = 0;
    let byte = pack[at++];
    if (byte === undefined) return undefined;
    const type = OBJECT_TYPES[(byte >> 4) & 7] ?? '';
    let size = byte & 15;
    let shift = 4;
    while (byte & 0x80) {
      byte = pack[at++];
      if (byte === undefined) return undefined;
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    if (type === 'ofs-delta') {
      do {
        byte = pack[at++];
        if (byte === undefined) return undefined;
      } while (byte & 0x80);
    } else if (type === 'ref-delta') {
      at += 20;
      if (at > pack.length) return undefined;
    }
    const delta = type.endsWith('delta');
    if (!delta) this.#check(type, size);
    let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      inflated = inflateSync(pack.subarray(at), {
        info: true,
        maxOutputLength: Math.max(1, this.limits.maxObjectBytes),
      }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') this.#check(type, Number.POSITIVE_INFINITY);
      if (code === 'Z_BUF_ERROR') return undefined;
      throw error;
    }
    if (delta) this.#check('object made from a delta', deltaTargetSize(inflated.buffer));
    return at + inflated.engine.bytesWritten;
  }

  #check(type: string, size: number): void {
    if (size > this.limits.maxObjectBytes)
      throw new PackTooLarge(
        `the fleet repository holds a ${type} ${Number.isFinite(size) ? `of ${size} bytes` : 'too large to inflate'}, more than source.maxObjectBytes (${this.limits.maxObjectBytes}); keep large files out of the fleet repository or raise the limit`,
      );
  }
}

/** A git delta starts with two sizes (varints): its base's, then the object it makes. */
function deltaTargetSize(delta: Buffer): number {
  let at = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = delta[at++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(byte & 0x80) || at >= delta.length) return value;
    }
  };
  varint();
  return varint();
}
