// Which deployments a pass leaves as they are, and why: a revision that just failed (not retried
// for an hour unless the commit changes) and a deployment outside its maintenance window. Pure.
import type { DesiredState } from '../desired/desired-state.js';
import type { DeploymentStatus } from '../report/pass-report.js';
import type { DaemonState } from '../state/state-file.js';
import { insideWindow } from './maintenance-window.js';

/** A revision that failed and was rolled back is retried after this long, or on a new commit. */
export const FAILED_RETRY_MS = 60 * 60 * 1000;

export type HoldReason = Extract<DeploymentStatus, 'held-after-failure' | 'waiting-window'>;

export function heldDeployments(
  desired: DesiredState,
  state: DaemonState,
  now: Date,
): Map<string, HoldReason> {
  const held = new Map<string, HoldReason>();
  for (const deployment of desired.deployments) {
    const failed = state.deployments[deployment.name]?.failed;
    if (
      failed &&
      failed.revision === deployment.stackRevision &&
      now.getTime() - Date.parse(failed.at) < FAILED_RETRY_MS
    ) {
      held.set(deployment.name, 'held-after-failure');
    } else if (
      deployment.window &&
      !insideWindow(deployment.window.cron, deployment.window.durationMs, now)
    ) {
      held.set(deployment.name, 'waiting-window');
    }
  }
  return held;
}
