// What one reconcile pass did: the summary `ferryd once --json` prints and `/status` serves.
import type { FerryErrorCode } from '#kernel/errors.js';
import type { FailureLog } from '#kernel/failure-log.js';
import type { Problem } from '#kernel/problem.js';

export type DeploymentStatus =
  | 'unchanged'
  | 'updated'
  | 'rolled-back'
  | 'failed'
  | 'waiting-window'
  | 'held-after-failure'
  | 'removed';

export interface ServiceReport {
  readonly name: string;
  readonly action: string;
  /** An update that stopped the old container first (the service was down meanwhile), and why. */
  readonly stopFirst?: string;
  readonly image: string;
  readonly state: string;
}

export interface DeploymentReport {
  readonly name: string;
  readonly status: DeploymentStatus;
  readonly revision: string | null;
  readonly reason?: string;
  /** The error code of `reason` (docs/errors.md). */
  readonly code?: FerryErrorCode;
  /** A deployment held after a failure is tried again at this time (or on a new commit). */
  readonly until?: string;
  /** The last output of the container that failed its health gate (kept from before removal). */
  readonly failureLog?: FailureLog;
  /** In a staged rollout: the current step, and whether this device is in it. */
  readonly rollout?: {
    readonly percent: number;
    readonly selected: boolean;
    readonly paused?: boolean;
  };
  /** Held after a failure: what that failure came to (rolled back, or left failed). */
  readonly failedAs?: 'rolled-back' | 'failed';
  readonly services: readonly ServiceReport[];
}

/** One of a pass's errors with its code, for scripts, the hub and alerting. */
export interface PassFailure {
  readonly code: FerryErrorCode;
  readonly message: string;
  readonly deployment?: string;
}

export interface PassReport {
  readonly device: string;
  readonly revision: string | null;
  readonly converged: boolean;
  readonly deployments: readonly DeploymentReport[];
  readonly bytesDownloaded: number;
  readonly layers: { readonly downloaded: number; readonly reused: number };
  /** The errors' messages (`failures` has each with its code). */
  readonly errors: readonly string[];
  readonly failures: readonly PassFailure[];
  /** Set when the fleet at `revision` was refused (invalid, or not resolvable for this device). */
  readonly rejected?: { readonly revision: string; readonly problems: readonly Problem[] };
  /** The commit the branch moved to while this pass downloaded; the next pass starts at once. */
  readonly superseded?: string;
  /** The beacon expired: the gateway kept the commit it accepted last and may be frozen. */
  readonly frozen?: { readonly expiresAt: string; readonly sequence: number };
  /** Where the pass spent its time: downloading and importing images, then changing containers. */
  readonly timings?: { readonly fetchMs: number; readonly applyMs: number };
  readonly startedAt: string;
  readonly finishedAt: string;
}
