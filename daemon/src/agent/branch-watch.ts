// While a pass downloads for one commit, the branch can move on (a fix for a huge or broken
// image, say). This watch asks the remote, at the polling interval, and cancels the pass's
// downloads when the branch no longer points at the commit being fetched.
import { FerryError } from '#kernel/errors.js';

export class BranchMoved extends FerryError {
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(
      'FERRY_SOURCE',
      `the branch moved from ${from.slice(0, 12)} to ${to.slice(0, 12)} while downloading; starting over with it`,
      { from, to },
    );
  }
}

export interface BranchWatch {
  readonly signal: AbortSignal;
  stop(): void;
}

export function watchBranch(
  remoteHead: () => Promise<string>,
  revision: string,
  everyMs: number,
): BranchWatch {
  const controller = new AbortController();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    remoteHead()
      .then((head) => {
        if (head !== revision) controller.abort(new BranchMoved(revision, head));
      })
      // An unreachable git server says nothing about the branch: keep downloading.
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, everyMs);
  timer.unref();
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}
