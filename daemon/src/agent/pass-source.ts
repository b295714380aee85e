// Which commit a pass works on: the branch tip (one ref advertisement), or with a beacon, the
// commit the beacon names (git is touched only when that commit is new); then whether it may be
// applied (source-trust.ts). A gateway whose beacon expired keeps reconciling the commit it
// accepted last and says it may be frozen.
import { FerryError } from '#kernel/errors.js';
import type { PassReport } from '../report/pass-report.js';
import type { PassContext } from './reconcile-pass.js';

export interface Frozen {
  /** When the last beacon the gateway could verify expired. */
  readonly expiresAt: string;
  readonly sequence: number;
}

export interface PassSource {
  readonly revision: string;
  /** Why the revision may not be applied (what runs keeps running). */
  readonly refusal?: FerryError;
  /** Set when the beacon expired: the revision is the one accepted last. */
  readonly frozen?: Frozen;
}

export async function passSource(context: PassContext): Promise<PassSource> {
  const { beacon, source, trust } = context;
  if (!beacon) {
    const revision = (await source.sync()).revision;
    return withRefusal(revision, await trust.check(revision));
  }
  const look = await beacon.look();
  if (look.frozen) {
    const frozen = { expiresAt: look.expiresAt, sequence: look.sequence };
    context.logger.warn(
      { event: 'source.frozen', ...frozen },
      'the beacon expired: keeping what runs, applying nothing new',
    );
    const accepted = await trust.anchor();
    if (!accepted)
      throw new FerryError(
        'FERRY_BEACON',
        `the beacon expired at ${look.expiresAt} and nothing was accepted before: nothing to run`,
        frozen,
      );
    return { revision: accepted, frozen };
  }
  const revision = (await source.syncTo(look.commit)).revision;
  return withRefusal(revision, await trust.check(revision));
}

function withRefusal(revision: string, refusal: FerryError | undefined): PassSource {
  return refusal ? { revision, refusal } : { revision };
}

/** A pass on a frozen gateway: it kept what runs, but cannot say it runs the fleet's state. */
export function frozenReport(report: PassReport, frozen: Frozen): PassReport {
  const failure = {
    code: 'FERRY_BEACON' as const,
    message: `the beacon expired at ${frozen.expiresAt}: this gateway may be frozen on a stale state`,
  };
  return {
    ...report,
    converged: false,
    frozen,
    errors: [...report.errors, failure.message],
    failures: [...report.failures, failure],
  };
}
