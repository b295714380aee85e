// Whether a git commit is signed by an allowed key: the commit's SSH signature (gpgsig header)
// over the commit without that header, by a key the allowed-signers list names for the "git"
// namespace at the commit's committer time (as `git verify-commit` judges it).
import { allowedSigner, type AllowedSigner } from './allowed-signers.js';
import { parseSshSignature, verifySshSignature } from './ssh-signature.js';

export interface SignedCommit {
  readonly oid: string;
  /** The commit object without its signature: what was signed. */
  readonly payload: string;
  /** The armored signature, when the commit has one. */
  readonly signature?: string;
  /** Committer time, epoch seconds. */
  readonly committedAt: number;
}

export type CommitVerdict =
  { readonly ok: true; readonly signer: string } | { readonly ok: false; readonly reason: string };

/** Judges a commit signed with OpenPGP (openpgp-signature.ts), when OpenPGP keys are allowed. */
export type PgpJudge = (commit: SignedCommit) => Promise<CommitVerdict>;

/** An SSH- or OpenPGP-signed commit, judged by the allowed SSH keys or by `pgp`. */
export async function verifyAnyCommit(
  commit: SignedCommit,
  allowed: readonly AllowedSigner[],
  pgp: PgpJudge | undefined,
): Promise<CommitVerdict> {
  if (pgp && commit.signature?.includes('BEGIN PGP SIGNATURE')) return pgp(commit);
  return verifyCommit(commit, allowed);
}

export function verifyCommit(
  commit: SignedCommit,
  allowed: readonly AllowedSigner[],
): CommitVerdict {
  const short = commit.oid.slice(0, 12);
  if (!commit.signature) return { ok: false, reason: `commit ${short} is not signed` };
  if (commit.signature.includes('BEGIN PGP SIGNATURE'))
    return {
      ok: false,
      reason: `commit ${short} has an OpenPGP signature, and no OpenPGP key is allowed (trust.openpgpKeysFile)`,
    };
  const parsed = parseSshSignature(commit.signature);
  if (typeof parsed === 'string') return { ok: false, reason: `commit ${short}: ${parsed}` };
  if (!verifySshSignature(parsed, commit.payload, 'git'))
    return { ok: false, reason: `commit ${short}: the signature does not match the commit` };
  const signer = allowedSigner(allowed, parsed, 'git', commit.committedAt * 1000);
  if (!signer)
    return {
      ok: false,
      reason: `commit ${short} is signed by a key not allowed (${parsed.publicKey.type}) at its commit time`,
    };
  return { ok: true, signer: signer.principals.join(',') };
}

/**
 * A raw commit object split into what was signed and its signature: the `gpgsig` header (its
 * continuation lines start with a space) is taken out, everything else is the payload.
 */
export function splitCommit(oid: string, raw: string): SignedCommit {
  const end = raw.indexOf('\n\n');
  const headers = (end < 0 ? raw : raw.slice(0, end)).split('\n');
  const kept: string[] = [];
  const signature: string[] = [];
  let inSignature = false;
  for (const line of headers) {
    if (line.startsWith('gpgsig ')) {
      inSignature = true;
      signature.push(line.slice('gpgsig '.length));
    } else if (inSignature && line.startsWith(' ')) signature.push(line.slice(1));
    else {
      inSignature = false;
      kept.push(line);
    }
  }
  const committer = kept.find((l) => l.startsWith('committer '));
  const committedAt = Number(/ (\d+) [+-]\d{4}$/.exec(committer ?? '')?.[1] ?? 0);
  return {
    oid,
    payload: kept.join('\n') + (end < 0 ? '' : raw.slice(end)),
    ...(signature.length > 0 ? { signature: signature.join('\n') } : {}),
    committedAt,
  };
}
