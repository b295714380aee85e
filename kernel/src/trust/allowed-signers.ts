// git's allowed-signers file (ssh-keygen(1) ALLOWED SIGNERS): who may sign, with which key, for
// which namespaces and when. `principals [options] keytype base64-key [comment]`.
import { parsePublicKey, type SshPublicKey } from './ssh-wire.js';
import type { SshSignature } from './ssh-signature.js';

export interface AllowedSigner {
  readonly principals: readonly string[];
  readonly key: SshPublicKey;
  readonly namespaces?: readonly string[];
  /** Epoch ms the key is valid from / until (UTC). */
  readonly validAfter?: number;
  readonly validBefore?: number;
  readonly line: number;
}

export interface AllowedSigners {
  readonly signers: readonly AllowedSigner[];
  /** Lines that were not understood (they allow nothing): `LINE: why`. */
  readonly problems: readonly string[];
}

/** Splits a line on spaces outside double quotes. */
function tokens(line: string): string[] {
  return line.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
}

/** YYYYMMDD[HHMM[SS]][Z] as UTC epoch ms. */
export function parseSignerTime(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?Z?$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
}

const isKeyType = (token: string) => /^(ssh-|ecdsa-|sk-)/.test(token);

function parseOptions(text: string): Omit<AllowedSigner, 'principals' | 'key' | 'line'> | string {
  const options: { namespaces?: string[]; validAfter?: number; validBefore?: number } = {};
  for (const option of text.match(/(?:[^,"]+|"[^"]*")+/g) ?? []) {
    const [name = '', raw = ''] = option.split(/=(.*)/s);
    const value = raw.replace(/^"|"$/g, '');
    if (name === 'namespaces') options.namespaces = value.split(',');
    else if (name === 'valid-after' || name === 'valid-before') {
      const at = parseSignerTime(value);
      if (at === undefined) return `${name} '${value}' is not YYYYMMDD[HHMM[SS]]`;
      if (name === 'valid-after') options.validAfter = at;
      else options.validBefore = at;
    } else return `option '${name}' is not supported (certificate authorities are not)`;
  }
  return options;
}

export function parseAllowedSigners(text: string): AllowedSigners {
  const signers: AllowedSigner[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = tokens(line);
    const [principals = '', second = ''] = parts;
    const hasOptions = !isKeyType(second);
    const [type = '', base64 = ''] = parts.slice(hasOptions ? 2 : 1);
    const options = hasOptions ? parseOptions(second) : {};
    if (typeof options === 'string') return void problems.push(`${index + 1}: ${options}`);
    try {
      const key = parsePublicKey(Buffer.from(base64, 'base64'));
      if (key.type !== type) throw new Error(`the key is ${key.type}, the line says ${type}`);
      signers.push({ principals: principals.split(','), key, ...options, line: index + 1 });
    } catch (error) {
      problems.push(`${index + 1}: ${(error as Error).message}`);
    }
  });
  return { signers, problems };
}

/** The signer that `signature`'s key belongs to, allowed for `namespace` at `at`; or undefined. */
export function allowedSigner(
  allowed: readonly AllowedSigner[],
  signature: SshSignature,
  namespace: string,
  at: number,
): AllowedSigner | undefined {
  return allowed.find(
    (s) =>
      s.key.blob.equals(signature.publicKey.blob) &&
      (s.namespaces === undefined || s.namespaces.includes(namespace)) &&
      (s.validAfter === undefined || at >= s.validAfter) &&
      (s.validBefore === undefined || at < s.validBefore),
  );
}
