// ferryd's state on disk (state.dir/state.json), written atomically.
import { join } from 'node:path';
import type { FerryErrorCode } from '#kernel/errors.js';
import type { FailureLog } from '#kernel/failure-log.js';
import type { DesiredDeployment } from '#kernel/fleet/desired-state.js';
import { readJson, writeJsonAtomic } from '#kernel/atomic-json.js';

export interface DeploymentRecord {
  /** The last version of this deployment that passed its health gate. */
  readonly lastKnownGood?: {
    readonly revision: string | null;
    readonly deployment: DesiredDeployment;
    readonly at: string;
  };
  /**
   * Written before the first container of an update changes, removed when the update's outcome is
   * known: while it stands, no container of the deployment has been seen healthy, so a ferryd
   * restarted after a crash gates them all again before recording anything as good.
   */
  readonly applying?: { readonly revision: string | null; readonly at: string };
  /** A revision that failed to apply; not retried until the commit changes or the backoff ends. */
  readonly failed?: {
    readonly revision: string | null;
    readonly reason: string;
    readonly at: string;
    readonly attempts: number;
    readonly code?: FerryErrorCode;
    /** What the failure came to: rolled back to the last good version, or left failed. */
    readonly outcome?: 'rolled-back' | 'failed';
    /** The failed container's last output (it was removed by the rollback). */
    readonly failureLog?: FailureLog;
  };
}

export interface DaemonState {
  readonly version: 1;
  readonly appliedRevision: string | null;
  readonly deployments: Readonly<Record<string, DeploymentRecord>>;
}

export const EMPTY_STATE: DaemonState = { version: 1, appliedRevision: null, deployments: {} };

export class StateFile {
  readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, 'state.json');
  }

  async read(): Promise<DaemonState> {
    const parsed = await readJson<DaemonState>(this.path);
    return parsed?.version === 1 ? parsed : EMPTY_STATE;
  }

  write(state: DaemonState): Promise<void> {
    return writeJsonAtomic(this.path, state);
  }
}
