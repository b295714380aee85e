// A `ferryd run` child process, with helpers to wait on its API.
import { spawn, type ChildProcess } from 'node:child_process';
import { FERRYD_NODE_FLAGS } from '../../daemon/src/cli/node-flags.js';
import type { DaemonStatus } from '../../daemon/src/report/daemon-status.js';
import type { FerrydSetup } from './ferryd-harness.js';
import { eventually } from './eventually.js';
import { repoRoot } from './run-cli.js';

export class FerrydProcess {
  readonly child: ChildProcess;
  logs = '';

  constructor(readonly setup: FerrydSetup) {
    this.child = spawn(
      process.execPath,
      [...FERRYD_NODE_FLAGS, `${repoRoot}bin/ferryd.js`, 'run', '--config', setup.configFile],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (chunk: Buffer) => (this.logs += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.logs += chunk.toString()));
  }

  get api(): string {
    return `http://127.0.0.1:${this.setup.apiPort}`;
  }

  async status(): Promise<DaemonStatus | undefined> {
    return fetch(`${this.api}/status`)
      .then((r) => r.json() as Promise<DaemonStatus>)
      .catch(() => undefined);
  }

  /** Polls /status until `check` holds; fails with the daemon's logs after `timeoutMs`. */
  async waitFor(
    what: string,
    check: (status: DaemonStatus) => boolean,
    timeoutMs = 60_000,
  ): Promise<DaemonStatus> {
    return eventually(
      what,
      async () => {
        const status = await this.status();
        return status && check(status) ? status : undefined;
      },
      { timeoutMs, everyMs: 200, detail: () => `logs:\n${this.logs.slice(-4000)}` },
    );
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(signal);
    await exited;
  }
}
