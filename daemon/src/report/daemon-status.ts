// What a running ferryd knows about itself: served as /status and rendered as /metrics.
import type { HealthGate } from '../apply/execute-steps.js';
import type { PassReport } from './pass-report.js';

export interface DaemonStatus {
  readonly device: string;
  readonly version: string;
  readonly appliedRevision: string | null;
  readonly lastPass?: PassReport;
  readonly lastSyncAt?: string;
  readonly syncErrors: number;
  readonly passes: number;
  readonly bytesDownloaded: number;
  readonly containers: Readonly<Record<string, number>>;
  readonly nextPassAt?: string;
  /** While an update waits on a health gate: which container, and until when at most. */
  readonly gate?: HealthGate;
  /** While images download: bytes so far and in all. */
  readonly download?: {
    readonly bytes: number;
    readonly totalBytes: number;
    readonly layersDone: number;
    readonly layers: number;
  };
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus text exposition format (version 0.0.4). */
export function renderMetrics(status: DaemonStatus): string {
  const device = `device="${escape(status.device)}"`;
  const lines = [
    '# HELP ferry_applied_revision_info The fleet revision this device last converged on.',
    '# TYPE ferry_applied_revision_info gauge',
    `ferry_applied_revision_info{${device},revision="${escape(status.appliedRevision ?? '')}"} 1`,
    '# HELP ferry_last_sync_timestamp_seconds When the last reconcile pass finished.',
    '# TYPE ferry_last_sync_timestamp_seconds gauge',
    `ferry_last_sync_timestamp_seconds{${device}} ${status.lastSyncAt ? Date.parse(status.lastSyncAt) / 1000 : 0}`,
    '# HELP ferry_sync_errors_total Reconcile passes that ended with an error.',
    '# TYPE ferry_sync_errors_total counter',
    `ferry_sync_errors_total{${device}} ${status.syncErrors}`,
    '# HELP ferry_passes_total Reconcile passes run.',
    '# TYPE ferry_passes_total counter',
    `ferry_passes_total{${device}} ${status.passes}`,
    '# HELP ferry_bytes_downloaded_total Image bytes downloaded by ferryd.',
    '# TYPE ferry_bytes_downloaded_total counter',
    `ferry_bytes_downloaded_total{${device}} ${status.bytesDownloaded}`,
    '# HELP ferry_source_frozen 1 while the beacon has expired: the gateway may be held on a stale state.',
    '# TYPE ferry_source_frozen gauge',
    `ferry_source_frozen{${device}} ${status.lastPass?.frozen ? 1 : 0}`,
    '# HELP ferry_containers Managed containers by state.',
    '# TYPE ferry_containers gauge',
    ...Object.entries(status.containers).map(
      ([state, count]) => `ferry_containers{${device},state="${escape(state)}"} ${count}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
