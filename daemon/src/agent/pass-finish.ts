// How a pass's summary becomes its report: the device, the times, the failures with their codes.
import { FerryError } from '#kernel/errors.js';
import type { Clock } from '../apply/wait-for.js';
import type { PassFailure, PassReport } from '../report/pass-report.js';

export type Summary = Omit<
  PassReport,
  'device' | 'startedAt' | 'finishedAt' | 'bytesDownloaded' | 'layers' | 'errors' | 'failures'
> &
  Partial<Pick<PassReport, 'bytesDownloaded' | 'layers' | 'failures'>>;
export type Finish = (summary: Summary) => PassReport;

/** `finish` a pass that began now, or end it `failed` with an error. */
export function passFinisher(device: string, clock: Clock) {
  const now = () => new Date(clock.now()).toISOString();
  const startedAt = now();
  const finish: Finish = (summary) => {
    const failures = summary.failures ?? [];
    return {
      device,
      bytesDownloaded: 0,
      layers: { downloaded: 0, reused: 0 },
      ...summary,
      errors: failures.map((f) => f.message),
      failures,
      startedAt,
      finishedAt: now(),
    };
  };
  const failed = (revision: string | null, error: unknown, extra: Partial<Summary> = {}) =>
    finish({ revision, converged: false, deployments: [], failures: [failureOf(error)], ...extra });
  return { finish, failed };
}

export function failureOf(error: unknown): PassFailure {
  return {
    code: error instanceof FerryError ? error.code : 'FERRY_ENGINE',
    message: messageOf(error),
  };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
