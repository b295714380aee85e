// Whether a new branch tip may be applied after the commit accepted last (the anchor): it must
// descend from the anchor along first parents (no force-push back, no other history), and, with
// a root allowed-signers list, every commit on that path must be signed by a key allowed at that
// point. The keys allowed for a commit are the root list and the repository's own list as of its
// parent: so a change to the repository's list counts only once a commit signed by a key already
// allowed brings it. Merge commits are verified, not the commits they merge: only first-parent
// commits' trees are ever applied.
import { parseAllowedSigners, type AllowedSigner } from './allowed-signers.js';
import { splitCommit, verifyAnyCommit, type PgpJudge } from './commit-signature.js';

export interface CommitStore {
  /** The raw commit object, or undefined when it is not here (beyond a shallow history). */
  commit(oid: string): Promise<string | undefined>;
  /** Fetches more history; false when no more can come. */
  deepen(): Promise<boolean>;
  /** The repository's allowed-signers file at a commit, or undefined. */
  signersAt(oid: string): Promise<string | undefined>;
}

export interface HistoryCheck {
  readonly tip: string;
  /** The commit accepted last; undefined for a device that accepted none yet. */
  readonly anchor?: string;
  /** The device's own allowed signers; undefined when commits are not verified. */
  readonly root?: readonly AllowedSigner[];
  readonly store: CommitStore;
  /** The longest path walked from the tip back to the anchor. */
  readonly maxCommits?: number;
  /** Judges OpenPGP-signed commits, when OpenPGP keys are allowed. */
  readonly pgp?: PgpJudge;
}

export type HistoryVerdict =
  | { readonly ok: true; readonly verified: number }
  | {
      readonly ok: false;
      readonly code: 'FERRY_SIGNATURE' | 'FERRY_SOURCE_ROLLBACK';
      readonly commit: string;
      readonly reason: string;
    };

const MAX_COMMITS = 1000;
const MAX_DEEPEN = 25;

const firstParent = (raw: string) =>
  /^parent ([0-9a-f]{40})$/m.exec(raw.split('\n\n')[0] ?? '')?.[1];

type Path = { oid: string; raw: string }[];

/** The commits from the tip back to (not including) the anchor, newest first; or a refusal. */
async function pathToAnchor(check: HistoryCheck): Promise<Path | HistoryVerdict> {
  const path: Path = [];
  const limit = check.maxCommits ?? MAX_COMMITS;
  const short = (oid: string) => oid.slice(0, 12);
  let deepened = 0;
  let current: string | undefined = check.tip;
  while (current !== undefined && current !== check.anchor) {
    const raw = await check.store.commit(current);
    if (raw === undefined) {
      if (deepened++ < MAX_DEEPEN && (await check.store.deepen())) continue;
      return refuse('FERRY_SOURCE_ROLLBACK', current, `commit ${short(current)} is not available`);
    }
    path.push({ oid: current, raw });
    if (check.anchor === undefined) return path; // nothing accepted yet: the tip alone
    if (path.length > limit)
      return refuse(
        'FERRY_SOURCE_ROLLBACK',
        check.tip,
        `${short(check.tip)} does not descend from ${short(check.anchor)} within ${limit} commits`,
      );
    current = firstParent(raw);
  }
  if (current === undefined)
    return refuse(
      'FERRY_SOURCE_ROLLBACK',
      check.tip,
      `${short(check.tip)} does not descend from ${short(check.anchor ?? '')}, the commit accepted last (the branch was moved back or replaced)`,
    );
  return path;
}

function refuse(
  code: 'FERRY_SIGNATURE' | 'FERRY_SOURCE_ROLLBACK',
  commit: string,
  reason: string,
): HistoryVerdict {
  return { ok: false, code, commit, reason };
}

export async function checkHistory(check: HistoryCheck): Promise<HistoryVerdict> {
  if (check.tip === check.anchor) return { ok: true, verified: 0 };
  const path = await pathToAnchor(check);
  if (!Array.isArray(path)) return path;
  const root = check.root;
  if (!root) return { ok: true, verified: 0 };
  const keysAt = async (oid: string | undefined) => {
    const inRepo = oid ? await check.store.signersAt(oid) : undefined;
    return [...root, ...(inRepo ? parseAllowedSigners(inRepo).signers : [])];
  };
  let allowed = await keysAt(check.anchor);
  for (const { oid, raw } of [...path].reverse()) {
    const verdict = await verifyAnyCommit(splitCommit(oid, raw), allowed, check.pgp);
    if (!verdict.ok) return refuse('FERRY_SIGNATURE', oid, verdict.reason);
    allowed = await keysAt(oid);
  }
  return { ok: true, verified: path.length };
}
