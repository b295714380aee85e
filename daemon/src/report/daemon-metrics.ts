// ferryd's metrics beyond the status gauges (daemon-status.ts): what an operator alerts on, through
// prom-client: each deployment's status, rollbacks and rejected revisions counted, how long passes
// take, the version, and the standard process metrics (RSS, CPU, event-loop lag).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FERRY_VERSION } from '#kernel/version.js';
import type { PassReport } from './pass-report.js';

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly #passSeconds: Histogram;
  readonly #rollbacks: Counter<'deployment'>;
  readonly #rejected: Counter;
  readonly #deployments: Gauge<'deployment' | 'status'>;

  constructor(device: string) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ device });
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'ferry_build_info',
      help: 'the running Ferry version',
      labelNames: ['version', 'program'],
      registers,
    }).set({ version: FERRY_VERSION, program: 'ferryd' }, 1);
    this.#passSeconds = new Histogram({
      name: 'ferry_pass_duration_seconds',
      help: 'how long reconcile passes take',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers,
    });
    this.#rollbacks = new Counter({
      name: 'ferry_rollbacks_total',
      help: 'updates rolled back to the last known good version',
      labelNames: ['deployment'],
      registers,
    });
    this.#rejected = new Counter({
      name: 'ferry_rejected_revisions_total',
      help: 'passes that refused the fleet at a revision (invalid, unsigned, not descending)',
      registers,
    });
    this.#deployments = new Gauge({
      name: 'ferry_deployment_status',
      help: "1 for each deployment's status after the last pass",
      labelNames: ['deployment', 'status'],
      registers,
    });
  }

  afterPass(report: PassReport): void {
    this.#passSeconds.observe(
      (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000,
    );
    for (const d of report.deployments)
      if (d.status === 'rolled-back') this.#rollbacks.inc({ deployment: d.name });
    if (report.rejected) this.#rejected.inc();
    if (report.deployments.length === 0 && !report.rejected) return; // the source failed: keep
    this.#deployments.reset();
    for (const d of report.deployments)
      this.#deployments.set({ deployment: d.name, status: d.status }, 1);
  }
}
