// Runs the real `ferry` / `ferryd` binaries as a user would, capturing output and exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
}

export function runCli(
  bin: 'ferry' | 'ferryd',
  args: readonly string[],
  options: RunOptions = {},
): Promise<CliResult> {
  return runScript(`bin/${bin}.js`, args, options);
}

/** Runs a Node script of this repository (path relative to its root) with `args`. */
export function runScript(
  script: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${repoRoot}${script}`, ...args], {
      cwd: options.cwd ?? repoRoot,
      timeout: options.timeoutMs ?? 60_000,
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
