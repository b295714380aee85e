// SSH signatures (OpenSSH's PROTOCOL.sshsig), as `git commit -S` with gpg.format=ssh and
// `ssh-keygen -Y sign` make them: verified with node:crypto.
import { createHash, verify } from 'node:crypto';
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

/** Whether `signature` signs `message` in `namespace` with its own key (the key is not judged). */
export function verifySshSignature(
  signature: SshSignature,
  message: Buffer | string,
  namespace: string,
): boolean {
  if (signature.namespace !== namespace) return false;
  if (signature.hashAlgorithm !== 'sha512' && signature.hashAlgorithm !== 'sha256') return false;
  const digest = createHash(signature.hashAlgorithm).update(message).digest();
  const signed = Buffer.concat([
    MAGIC,
    wireString(namespace),
    wireString(''),
    wireString(signature.hashAlgorithm),
    wireString(digest),
  ]);
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
