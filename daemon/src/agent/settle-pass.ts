// What a pass's outcomes mean, decided after it acted: the records to keep (last known good,
// failed revisions), whether the device converged, which images stay, and the report. Pure.
import type { FerryErrorCode } from '#kernel/errors.js';
import type { FailureLog } from '#kernel/failure-log.js';
import { canonicalJson } from '#kernel/fleet/config-hash.js';
import type { DesiredDeployment, DesiredState } from '#kernel/fleet/desired-state.js';
import type { EngineState } from '../plan/engine-state.js';
import type { ServicePlan } from '../plan/steps.js';
import type { DeploymentReport, DeploymentStatus, PassFailure } from '../report/pass-report.js';
import type { DaemonState, DeploymentRecord } from '../state/state-file.js';
import type { DeploymentTurn, PassDecision } from './decide-pass.js';

/** What applying one deployment came to. */
export interface DeploymentOutcome {
  readonly status: DeploymentStatus;
  readonly reason?: string;
  readonly code?: FerryErrorCode;
  /** A held failed revision is tried again at this time. */
  readonly until?: string;
  readonly services: readonly ServicePlan[];
  /** The last output of the container whose health gate failed. */
  readonly failureLog?: FailureLog;
  /** Held after a failure: what that failure came to. */
  readonly failedAs?: 'rolled-back' | 'failed';
}

export interface Settlement {
  /** The state to write; `changed` is false when it equals the state read (nothing to write). */
  readonly state: DaemonState;
  readonly changed: boolean;
  readonly converged: boolean;
  /** Images of what should run and of every last known good version (rollback needs them). */
  readonly keepImages: ReadonlySet<string>;
  /** Shipped content and containers those versions name (the rest of files/ can go). */
  readonly keepFiles: {
    readonly digests: ReadonlySet<string>;
    readonly containers: ReadonlySet<string>;
  };
  /** Every deployment's outcome this pass, held ones included. */
  readonly outcomes: ReadonlyMap<string, DeploymentOutcome>;
  readonly failures: readonly PassFailure[];
}

export interface SettleInput {
  readonly state: DaemonState;
  readonly desired: DesiredState;
  readonly decision: PassDecision;
  readonly revision: string;
  /** Outcomes of the turns that ran (a pass may end early: the rest keep their records). */
  readonly applied: ReadonlyMap<string, DeploymentOutcome>;
  /** Deployments whose containers were removed because they left the desired state. */
  readonly removed: readonly string[];
  readonly now: Date;
}

export function settlePass(input: SettleInput): Settlement {
  const { state, desired, decision } = input;
  const records = recordsAfter(state, decision, input.applied, input.now.toISOString());
  for (const name of input.removed) delete records[name];

  const outcomes = new Map<string, DeploymentOutcome>();
  for (const deployment of desired.deployments) {
    const hold = decision.holds.get(deployment.name);
    const outcome = hold
      ? {
          status: hold.reason,
          services: [],
          ...(hold.failure ? { reason: hold.failure } : {}),
          ...(hold.code ? { code: hold.code } : {}),
          ...(hold.until ? { until: hold.until } : {}),
          ...(hold.failureLog ? { failureLog: hold.failureLog } : {}),
          ...(hold.failedAs ? { failedAs: hold.failedAs } : {}),
        }
      : input.applied.get(deployment.name);
    if (outcome) outcomes.set(deployment.name, outcome);
  }
  const converged = [...outcomes.values()].every(
    (o) => o.status === 'updated' || o.status === 'unchanged',
  );
  const next: DaemonState = {
    version: 1,
    appliedRevision: converged ? input.revision : state.appliedRevision,
    deployments: records,
  };
  const kept = [
    ...desired.deployments,
    ...Object.values(records).flatMap((r) => (r.lastKnownGood ? [r.lastKnownGood.deployment] : [])),
  ];
  const services = kept.flatMap((d) => d.services);
  return {
    state: next,
    changed: canonicalJson(next) !== canonicalJson(state),
    converged,
    keepImages: new Set(kept.flatMap(imagesOf)),
    keepFiles: {
      digests: new Set(
        services.flatMap((s) =>
          s.mounts.flatMap((m) =>
            m.origin?.kind === 'repository' || m.origin?.kind === 'inline' ? [m.origin.digest] : [],
          ),
        ),
      ),
      containers: new Set(services.map((s) => s.containerName)),
    },
    outcomes,
    failures: passFailures(outcomes),
  };
}

/**
 * The pass's failures, one per deployment with a reason. A held deployment is why the device is
 * not converged: its failure is said on every pass it stays held, with when it is tried again.
 */
function passFailures(outcomes: ReadonlyMap<string, DeploymentOutcome>): Settlement['failures'] {
  return [...outcomes.entries()]
    .filter(([, o]) => o.reason)
    .map(([deployment, o]) => ({
      code: o.code ?? 'FERRY_ENGINE',
      message:
        o.status === 'held-after-failure'
          ? `${deployment}: held after a failure${o.until ? ` until ${o.until}` : ''} (a new commit or \`ferryd retry\` tries sooner): ${o.reason}`
          : `${deployment}: ${o.reason}`,
      deployment,
    }));
}

/** Every deployment's record after the turns that ran so far. */
export function recordsAfter(
  state: DaemonState,
  decision: PassDecision,
  applied: ReadonlyMap<string, DeploymentOutcome>,
  at: string,
): Record<string, DeploymentRecord> {
  const records: Record<string, DeploymentRecord> = { ...state.deployments };
  for (const turn of decision.turns) {
    const outcome = applied.get(turn.deployment.name);
    if (outcome) records[turn.deployment.name] = recordAfter(turn, outcome, at);
  }
  return records;
}

/**
 * A deployment's record after its turn. A good outcome makes this version the last known good;
 * the same good version as before keeps its record (and its time), so an unchanged pass writes
 * nothing. A failed one is counted against its revision.
 */
export function recordAfter(
  turn: DeploymentTurn,
  outcome: DeploymentOutcome,
  at: string,
): DeploymentRecord {
  const { deployment, record } = turn;
  if (outcome.status === 'updated' || outcome.status === 'unchanged') {
    const known = record.lastKnownGood;
    const same =
      outcome.status === 'unchanged' &&
      !turn.ungated &&
      record.failed === undefined &&
      known?.revision === deployment.stackRevision &&
      canonicalJson(known.deployment) === canonicalJson(deployment);
    return same && known
      ? { lastKnownGood: known }
      : { lastKnownGood: { revision: deployment.stackRevision, deployment, at } };
  }
  const attempts =
    (record.failed?.revision === deployment.stackRevision ? record.failed.attempts : 0) + 1;
  return {
    ...record,
    failed: {
      revision: deployment.stackRevision,
      reason: outcome.reason ?? '',
      at,
      attempts,
      ...(outcome.code ? { code: outcome.code } : {}),
      ...(outcome.status === 'rolled-back' || outcome.status === 'failed'
        ? { outcome: outcome.status }
        : {}),
      ...(outcome.failureLog ? { failureLog: outcome.failureLog } : {}),
    },
  };
}

/** Each deployment as the pass left it, its services as the engine shows them. */
export function deploymentReports(
  desired: DesiredState,
  settlement: Settlement,
  engine: EngineState,
  removed: readonly string[],
  revision: string,
): DeploymentReport[] {
  const reports = desired.deployments.map((deployment): DeploymentReport => {
    const outcome = settlement.outcomes.get(deployment.name);
    return {
      name: deployment.name,
      status: outcome?.status ?? 'unchanged',
      revision: deployment.stackRevision,
      ...(outcome?.reason ? { reason: outcome.reason } : {}),
      ...(outcome?.code ? { code: outcome.code } : {}),
      ...(outcome?.until ? { until: outcome.until } : {}),
      ...(outcome?.failureLog ? { failureLog: outcome.failureLog } : {}),
      ...(outcome?.failedAs ? { failedAs: outcome.failedAs } : {}),
      ...(deployment.rollout
        ? {
            rollout: {
              percent: deployment.rollout.percent,
              selected: deployment.rollout.selected,
              ...(deployment.rollout.paused ? { paused: true } : {}),
            },
          }
        : {}),
      services: engine.containers
        .filter((c) => c.deployment === deployment.name)
        .map((c) => ({
          name: c.service,
          action: outcome?.services.find((s) => s.service === c.service)?.action ?? 'unchanged',
          ...stopFirstOf(outcome?.services.find((s) => s.service === c.service)),
          image: c.image,
          state: c.state,
        })),
    };
  });
  for (const name of removed) reports.push({ name, status: 'removed', revision, services: [] });
  return reports;
}

function imagesOf(deployment: DesiredDeployment): string[] {
  return deployment.services.map((s) => s.image);
}

function stopFirstOf(plan: ServicePlan | undefined): { stopFirst?: string } {
  return plan?.order === 'stop-first' ? { stopFirst: plan.why ?? 'stop-first' } : {};
}
