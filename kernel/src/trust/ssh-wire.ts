// Reading SSH's wire encoding (RFC 4251: uint32, string, mpint) and SSH public keys as node:crypto
// keys. Written here: node:crypto verifies the signatures but reads no SSH formats, and the npm
// packages that do (sshpk, ssh2) carry far more than these few dozen lines.
import { createPublicKey, type KeyObject } from 'node:crypto';

export class WireReader {
  #at = 0;
  constructor(private readonly data: Buffer) {}

  get done(): boolean {
    return this.#at >= this.data.length;
  }

  bytes(length: number): Buffer {
    if (this.#at + length > this.data.length) throw new Error('truncated SSH data');
    const out = this.data.subarray(this.#at, this.#at + length);
    this.#at += length;
    return out;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    const length = this.uint32();
    if (length > 1 << 20) throw new Error('SSH string too long');
    return this.bytes(length);
  }

  text(): string {
    return this.string().toString('utf8');
  }
}

/** An SSH string: length, then bytes. */
export function wireString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An unsigned big-endian integer without the sign byte SSH's mpint may carry. */
const unsigned = (mpint: Buffer) => {
  let start = 0;
  while (start < mpint.length - 1 && mpint[start] === 0) start++;
  return mpint.subarray(start);
};
const b64url = (bytes: Buffer) => bytes.toString('base64url');

const CURVES: Readonly<Record<string, { crv: string; size: number; hash: string }>> = {
  'ecdsa-sha2-nistp256': { crv: 'P-256', size: 32, hash: 'sha256' },
  'ecdsa-sha2-nistp384': { crv: 'P-384', size: 48, hash: 'sha384' },
  'ecdsa-sha2-nistp521': { crv: 'P-521', size: 66, hash: 'sha512' },
};

export interface SshPublicKey {
  readonly type: string;
  /** The key's wire blob: two keys are the same key when their blobs are equal. */
  readonly blob: Buffer;
  readonly key: KeyObject;
}

/** An SSH public key blob (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp*). */
export function parsePublicKey(blob: Buffer): SshPublicKey {
  const reader = new WireReader(blob);
  const type = reader.text();
  if (type === 'ssh-ed25519') {
    const x = reader.string();
    return {
      type,
      blob,
      key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(x) }, format: 'jwk' }),
    };
  }
  if (type === 'ssh-rsa') {
    const e = unsigned(reader.string());
    const n = unsigned(reader.string());
    return {
      type,
      blob,
      key: createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' }),
    };
  }
  const curve = CURVES[type];
  if (curve) {
    reader.string(); // the curve's name, implied by the type
    const point = reader.string();
    if (point[0] !== 4 || point.length !== 1 + 2 * curve.size)
      throw new Error('unsupported EC point');
    const x = point.subarray(1, 1 + curve.size);
    const y = point.subarray(1 + curve.size);
    return {
      type,
      blob,
      key: createPublicKey({
        key: { kty: 'EC', crv: curve.crv, x: b64url(x), y: b64url(y) },
        format: 'jwk',
      }),
    };
  }
  throw new Error(`unsupported SSH key type ${type}`);
}

/** The hash and encoding an ECDSA key of this type signs with. */
export function curveOf(type: string) {
  return CURVES[type];
}
