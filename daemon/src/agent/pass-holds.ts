// Which deployments a pass leaves as they are, and why: a revision that just failed (not retried
// for an hour unless the commit changes) and a deployment outside its maintenance window. Pure.
import type { FerryErrorCode } from '#kernel/errors.js';
import type { FailureLog } from '#kernel/failure-log.js';
import type { DesiredState } from '#kernel/fleet/desired-state.js';
import type { DeploymentStatus } from '../report/pass-report.js';
import type { DaemonState } from '../state/state-file.js';
import { insideWindow } from './maintenance-window.js';

/** A revision that failed and was rolled back is retried after this long, or on a new commit. */
export const FAILED_RETRY_MS = 60 * 60 * 1000;

export type HoldReason = Extract<DeploymentStatus, 'held-after-failure' | 'waiting-window'>;

export interface Hold {
  readonly reason: HoldReason;
  /** Why the revision failed, for a deployment held after a failure. */
  readonly failure?: string;
  /** When a held failed revision is tried again (ISO time). */
  readonly until?: string;
  readonly code?: FerryErrorCode;
  /** The last output of the container that failed. */
  readonly failureLog?: FailureLog;
  /** What the failure came to: rolled back, or left failed. */
  readonly failedAs?: 'rolled-back' | 'failed';
}

export function heldDeployments(
  desired: DesiredState,
  state: DaemonState,
  now: Date,
): Map<string, Hold> {
  const held = new Map<string, Hold>();
  for (const deployment of desired.deployments) {
    const failed = state.deployments[deployment.name]?.failed;
    const retryAt = failed ? Date.parse(failed.at) + FAILED_RETRY_MS : 0;
    if (failed && failed.revision === deployment.stackRevision && now.getTime() < retryAt) {
      held.set(deployment.name, {
        reason: 'held-after-failure',
        failure: failed.reason,
        until: new Date(retryAt).toISOString(),
        ...(failed.code ? { code: failed.code } : {}),
        ...(failed.failureLog ? { failureLog: failed.failureLog } : {}),
        ...(failed.outcome ? { failedAs: failed.outcome } : {}),
      });
    } else if (
      deployment.window &&
      !insideWindow(deployment.window.cron, deployment.window.durationMs, now)
    ) {
      held.set(deployment.name, { reason: 'waiting-window' });
    }
  }
  return held;
}
