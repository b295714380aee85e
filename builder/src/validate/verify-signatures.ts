// `ferry validate --verify-signatures REV`: the check a gateway with `trust` makes, on the
// repository side, so that CI refuses a merge devices would refuse. From `--since` (the commit
// devices run) to REV along first parents, every commit signed by a key allowed at that point.
import * as fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import git from 'isomorphic-git';
import { FerryError } from '#kernel/errors.js';
import { gitDirOf, resolveCommit } from '#kernel/source/git-revision.js';
import { GitTreeReader } from '#kernel/source/git-tree-reader.js';
import { parseAllowedSigners } from '#kernel/trust/allowed-signers.js';
import { checkHistory, type HistoryVerdict } from '#kernel/trust/commit-history.js';
import { openpgpJudge } from '#kernel/trust/openpgp-signature.js';

export interface SignatureCheck {
  readonly repo: string;
  readonly revision: string;
  readonly since?: string;
  readonly allowedSignersFile?: string;
  /** Armored OpenPGP public keys whose signatures count too. */
  readonly openpgpKeysFile?: string;
  /** The fleet root inside the repository, and the signers file under it. */
  readonly root: string;
  readonly repositoryFile: string;
}

export async function verifySignatures(
  check: SignatureCheck,
): Promise<HistoryVerdict & { tip: string }> {
  const gitdir = await gitDirOf(check.repo);
  const tip = await resolveCommit(gitdir, check.revision);
  const anchor = check.since ? await resolveCommit(gitdir, check.since) : undefined;
  const read = (file: string, option: string) =>
    readFile(file, 'utf8').catch(() => {
      throw new FerryError('FERRY_USAGE', `cannot read ${option} ${file}`);
    });
  const signers = check.allowedSignersFile
    ? parseAllowedSigners(await read(check.allowedSignersFile, '--allowed-signers')).signers
    : [];
  const pgp = check.openpgpKeysFile
    ? await openpgpJudge(await read(check.openpgpKeysFile, '--openpgp-keys'))
    : undefined;
  const verdict = await checkHistory({
    tip,
    ...(anchor ? { anchor } : {}),
    root: signers,
    ...(pgp ? { pgp } : {}),
    store: {
      commit: async (oid) => {
        const found = await git
          .readObject({ fs, gitdir, oid, format: 'content' })
          .catch(() => undefined);
        return found?.type === 'commit' && found.object instanceof Uint8Array
          ? Buffer.from(found.object).toString('utf8')
          : undefined;
      },
      deepen: async () => false,
      signersAt: async (oid) =>
        (await GitTreeReader.open({ gitdir, root: check.root }, oid)).readFile(
          check.repositoryFile,
        ),
    },
  });
  return { ...verdict, tip };
}
