// SSH signatures (OpenSSH's PROTOCOL.sshsig), as `git commit -S` with gpg.format=ssh and
// `ssh-keygen -Y sign` make them: verified with node:crypto.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { curveOf, parsePublicKey, WireReader, wireString, type SshPublicKey } from './ssh-wire.js';

const MAGIC = Buffer.from('SSHSIG');
const ARMOR = /-----BEGIN SSH SIGNATURE-----([\s\S]*?)-----END SSH SIGNATURE-----/;

export interface SshSignature {
  readonly publicKey: SshPublicKey;
  readonly namespace: string;
  readonly hashAlgorithm: string;
  readonly format: string;
  readonly signature: Buffer;
}

/** An armored SSH signature, or a string saying why it is not one. */
export function parseSshSignature(armored: string): SshSignature | string {
  const body = ARMOR.exec(armored)?.[1];
  if (!body) return 'not an SSH signature';
  try {
    const reader = new WireReader(Buffer.from(body.replace(/\s+/g, ''), 'base64'));
    if (!reader.bytes(6).equals(MAGIC)) return 'not an SSH signature (no SSHSIG preamble)';
    if (reader.uint32() !== 1) return 'unsupported SSH signature version';
    const publicKey = parsePublicKey(reader.string());
    const namespace = reader.text();
    reader.string(); // reserved
    const hashAlgorithm = reader.text();
    const inner = new WireReader(reader.string());
    const format = inner.text();
    return { publicKey, namespace, hashAlgorithm, format, signature: inner.string() };
  } catch (error) {
    return `unreadable SSH signature: ${(error as Error).message}`;
  }
}

/** What an SSH signature signs: the preamble, namespace and hash algorithm, and the message's hash. */
export function signedData(
  namespace: string,
  hashAlgorithm: string,
  message: Buffer | string,
): Buffer {
  const digest = createHash(hashAlgorithm).update(message).digest();
  return Buffer.concat([
    MAGIC,
    wireString(namespace),
    wireString(''),
    wireString(hashAlgorithm),
    wireString(digest),
  ]);
}

/** An armored SSH signature made with an Ed25519 key held by node:crypto (no ssh-keygen needed). */
export function signEd25519(key: KeyObject, message: Buffer | string, namespace: string): string {
  const raw = Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x ?? '', 'base64url');
  const publicBlob = Buffer.concat([wireString('ssh-ed25519'), wireString(raw)]);
  const signature = sign(null, signedData(namespace, 'sha512', message), key);
  const blob = Buffer.concat([
    MAGIC,
    Buffer.from([0, 0, 0, 1]),
    wireString(publicBlob),
    wireString(namespace),
    wireString(''),
    wireString('sha512'),
    wireString(Buffer.concat([wireString('ssh-ed25519'), wireString(signature)])),
  ]);
  const lines = blob.toString('base64').match(/.{1,70}/g) ?? [];
  return ['-----BEGIN SSH SIGNATURE-----', ...lines, '-----END SSH SIGNATURE-----'].join('\n');
}

/** `ssh-ed25519 AAAA... comment`: the public half of an Ed25519 key, as SSH writes it. */
export function sshPublicLine(key: KeyObject, comment = ''): string {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const blob = Buffer.concat([wireString('ssh-ed25519'), wireString(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/** Whether `signature` signs `message` in `namespace` with its own key (the key is not judged). */
export function verifySshSignature(
  signature: SshSignature,
  message: Buffer | string,
  namespace: string,
): boolean {
  if (signature.namespace !== namespace) return false;
  if (signature.hashAlgorithm !== 'sha512' && signature.hashAlgorithm !== 'sha256') return false;
  const signed = signedData(namespace, signature.hashAlgorithm, message);
  const { key, type } = signature.publicKey;
  try {
    if (type === 'ssh-ed25519')
      return signature.format === 'ssh-ed25519' && verify(null, signed, key, signature.signature);
    if (type === 'ssh-rsa') {
      const hash = { 'rsa-sha2-512': 'sha512', 'rsa-sha2-256': 'sha256' }[signature.format];
      return hash !== undefined && verify(hash, signed, key, signature.signature);
    }
    const curve = curveOf(type);
    if (!curve || signature.format !== type) return false;
    // The signature is two mpints, r and s; node reads them as fixed-size r || s.
    const rs = new WireReader(signature.signature);
    const part = (mpint: Buffer) => {
      const trimmed = mpint.subarray(Math.max(0, mpint.length - curve.size));
      return Buffer.concat([Buffer.alloc(curve.size - trimmed.length), trimmed]);
    };
    const raw = Buffer.concat([part(rs.string()), part(rs.string())]);
    return verify(curve.hash, signed, { key, dsaEncoding: 'ieee-p1363' }, raw);
  } catch {
    return false;
  }
}
