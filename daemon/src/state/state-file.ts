// ferryd's state on disk: written atomically (write to a temporary file, fsync, rename, fsync the
// folder), so a crash at any point leaves either the old or the new state, never half of one.
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DesiredDeployment } from '../desired/desired-state.js';

export interface DeploymentRecord {
  /** The last version of this deployment that passed its health gate. */
  readonly lastKnownGood?: {
    readonly revision: string | null;
    readonly deployment: DesiredDeployment;
    readonly at: string;
  };
  /** A revision that failed to apply; not retried until the commit changes or the backoff ends. */
  readonly failed?: {
    readonly revision: string | null;
    readonly reason: string;
    readonly at: string;
    readonly attempts: number;
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
    const text = await readFile(this.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return EMPTY_STATE;
    const parsed = JSON.parse(text) as DaemonState;
    return parsed.version === 1 ? parsed : EMPTY_STATE;
  }

  async write(state: DaemonState): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(JSON.stringify(state, null, 2));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path);
    const folder = await open(dirname(this.path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }
}
