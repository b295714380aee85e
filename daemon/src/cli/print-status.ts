// Human-readable status of a device (`ferryd status`, `ferryd once` without --json).
import { formatProblem } from '#kernel/problem.js';
import type { PassReport } from '../report/pass-report.js';

/** The newest lines of a failure log printed; `--json` has them all. */
const FAILURE_LINES_SHOWN = 15;

export interface StatusView {
  readonly device: string;
  readonly appliedRevision: string | null;
  readonly lastPass?: PassReport;
  readonly nextPassAt?: string;
}

export function printStatus(status: StatusView): void {
  const pass = status.lastPass;
  console.log(
    `device ${status.device}: applied ${status.appliedRevision?.slice(0, 12) ?? 'nothing yet'}`,
  );
  if (!pass) return;
  console.log(
    `last pass ${pass.finishedAt}: revision ${pass.revision?.slice(0, 12) ?? '-'}, ${pass.converged ? 'converged' : 'not converged'}`,
  );
  for (const deployment of pass.deployments) {
    const code = deployment.code ? ` [${deployment.code}]` : '';
    const until = deployment.until ? ` (retried at ${deployment.until} or on a new commit)` : '';
    const reason = deployment.reason ? `: ${deployment.reason}${code}` : '';
    console.log(`  ${deployment.name.padEnd(24)} ${deployment.status}${reason}${until}`);
    for (const service of deployment.services)
      console.log(
        `    ${service.name.padEnd(22)} ${service.state.padEnd(10)} ${service.action.padEnd(10)} ${service.image}${service.stopFirst ? ` (stopped first: ${service.stopFirst})` : ''}`,
      );
    const log = deployment.failureLog;
    if (log) {
      const shown = log.lines.slice(-FAILURE_LINES_SHOWN);
      console.log(
        `    last ${shown.length} of ${log.lines.length} lines of ${log.container} (--json: all):`,
      );
      for (const line of shown) console.log(`      | ${line}`);
    }
  }
  for (const problem of pass.rejected?.problems ?? [])
    console.log(`  rejected: ${formatProblem(problem)}`);
  // Reports from an older ferryd have no `failures`.
  const failures = pass.failures ?? pass.errors.map((message) => ({ code: '', message }));
  for (const failure of failures)
    if (!pass.rejected)
      console.log(`  error: ${failure.message}${failure.code ? ` [${failure.code}]` : ''}`);
  if (status.nextPassAt) console.log(`next pass ${status.nextPassAt}`);
}

/** A one-line download progress display for a terminal (carriage return, no scrolling). */
export function terminalProgress(
  stream: NodeJS.WriteStream,
): (p: { bytes: number; totalBytes: number; layersDone: number; layers: number }) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 100 && p.layersDone < p.layers) return;
    last = now;
    const mib = (n: number) => (n / 1048576).toFixed(1);
    const percent =
      p.totalBytes > 0 ? Math.min(100, Math.round((p.bytes / p.totalBytes) * 100)) : 100;
    stream.write(
      `\rdownloading ${mib(p.bytes)}/${mib(p.totalBytes)} MiB (${percent}%), layers ${p.layersDone}/${p.layers}   `,
    );
  };
}
