// OpenPGP signatures on git commits (`git commit -S` with gpg), verified with openpgp.js, the
// maintained OpenPGP implementation for JavaScript. Loaded only when ferryd.yaml names
// trust.openpgpKeysFile: it is large, and most gateways verify SSH signatures alone.
import type { PgpJudge, SignedCommit } from './commit-signature.js';

export interface OpenpgpVerifier {
  /** The user id of the allowed key that made the signature, at the commit's time; or why not. */
  verify(commit: SignedCommit): Promise<{ signer: string } | { reason: string }>;
}

/** A verifier for the armored public keys in `armoredKeys` (one or more). */
export async function openpgpVerifier(armoredKeys: string): Promise<OpenpgpVerifier> {
  const openpgp = await import('openpgp');
  const keys = await openpgp.readKeys({ armoredKeys });
  return {
    async verify(commit) {
      const short = commit.oid.slice(0, 12);
      try {
        const signature = await openpgp.readSignature({ armoredSignature: commit.signature ?? '' });
        const message = await openpgp.createMessage({
          binary: Buffer.from(commit.payload, 'utf8'),
        });
        const result = await openpgp.verify({
          message,
          signature,
          verificationKeys: keys,
          date: judgedAt(commit, signature.packets[0]?.created),
        });
        for (const made of result.signatures) {
          const ok = await made.verified.then(
            () => true,
            () => false,
          );
          if (!ok) continue;
          const key = keys.find((k) => k.getKeyIDs().some((id) => id.equals(made.keyID)));
          return { signer: key?.getUserIDs()[0] ?? made.keyID.toHex() };
        }
        return {
          reason: `commit ${short} is signed by an OpenPGP key not allowed, or the signature does not match`,
        };
      } catch (error) {
        return {
          reason: `commit ${short}: unreadable OpenPGP signature (${(error as Error).message})`,
        };
      }
    },
  };
}

/**
 * When the keys are judged (expiry, revocation): when the commit was signed. gpg signs after git
 * has stamped the commit, so the signature can be a second or more younger than the commit's
 * time, and openpgp.js refuses a signature made after the date it is asked about; the later of
 * the two is the signing time. (Both are chosen by the signer, so neither is more trustworthy.)
 */
function judgedAt(commit: SignedCommit, signed: Date | null | undefined): Date {
  const committed = commit.committedAt * 1000;
  return new Date(Math.max(committed, signed?.getTime() ?? committed));
}

/** The keys of `armoredKeys` as a judge of OpenPGP-signed commits (commit-history.ts). */
export async function openpgpJudge(armoredKeys: string): Promise<PgpJudge> {
  const verifier = await openpgpVerifier(armoredKeys);
  return async (commit) => {
    const result = await verifier.verify(commit);
    return 'signer' in result
      ? { ok: true, signer: result.signer }
      : { ok: false, reason: result.reason };
  };
}
