// One reconcile pass: source -> desired -> plan -> apply -> report. The daemon loop and
// `ferryd once` both run exactly this.
import type { Logger } from 'pino';
import { FerryError, InvalidInputError } from '../../../schema/src/errors.js';
import type { Problem } from '../../../schema/src/problem.js';
import type { SchemaValidator } from '../../../schema/src/validate.js';
import { resolveBindSources } from '../apply/bind-sources.js';
import type { DockerEngine } from '../apply/docker-engine.js';
import { executeSteps, type ExecuteContext } from '../apply/execute-steps.js';
import type { DaemonConfig } from '../config/daemon-config.js';
import type { DesiredState, DeviceFacts } from '../desired/desired-state.js';
import type { LoadedFleet } from '../desired/fleet-model.js';
import { canonicalJson } from '../desired/config-hash.js';
import { loadFleet } from '../desired/load-fleet.js';
import { resolveDevice, type ResolveResult } from '../desired/resolve-device.js';
import { planReconcile } from '../plan/plan-reconcile.js';
import type { ImageCache } from '../fetch/image-cache.js';
import type { FetchStats, ImageFetcher } from '../fetch/image-fetcher.js';
import { removeUnusedImages } from '../fetch/image-gc.js';
import type { Platform } from '../fetch/resolve-image.js';
import type { GitSource } from '../source/git-source.js';
import type { DaemonState, DeploymentRecord, StateFile } from '../state/state-file.js';
import { applyDeployment, type DeploymentOutcome } from './apply-deployment.js';
import { BranchMoved, watchBranch } from './branch-watch.js';
import { heldDeployments } from './pass-holds.js';
import type { DeploymentReport, PassReport } from '../report/pass-report.js';

export interface PassContext {
  readonly config: DaemonConfig;
  readonly engine: DockerEngine;
  readonly source: GitSource;
  readonly stateFile: StateFile;
  readonly validator: SchemaValidator;
  readonly logger: Logger;
  readonly execute: ExecuteContext;
  readonly facts: DeviceFacts;
  readonly platform: Platform;
  readonly fetcher: ImageFetcher;
  readonly imageCache: ImageCache;
  readonly now: () => Date;
  /** The last revision resolved and its result, kept by the daemon between passes. */
  readonly resolvedCache?: { revision?: string; result?: ResolveResult };
}

type Finish = (
  report: Omit<PassReport, 'device' | 'startedAt' | 'finishedAt' | 'bytesDownloaded' | 'layers'> &
    Partial<Pick<PassReport, 'bytesDownloaded' | 'layers'>>,
) => PassReport;

export async function reconcilePass(context: PassContext): Promise<PassReport> {
  const startedAt = context.now().toISOString();
  const device = context.config.device.id;
  const finish: Finish = (report) => ({
    device,
    bytesDownloaded: 0,
    layers: { downloaded: 0, reused: 0 },
    ...report,
    startedAt,
    finishedAt: context.now().toISOString(),
  });

  let revision: string;
  try {
    revision = (await context.source.sync()).revision;
  } catch (error) {
    return finish({
      revision: null,
      converged: false,
      deployments: [],
      errors: [messageOf(error)],
    });
  }
  // A revision that does not load or resolve is refused whole; what runs stays as it is.
  const reject = (problems: readonly Problem[]): PassReport => {
    context.logger.error(
      { event: 'revision.rejected', revision, problems },
      'fleet refused at this revision; keeping what runs',
    );
    const error = new InvalidInputError(problems);
    return finish({
      revision,
      converged: false,
      deployments: [],
      errors: [error.message],
      rejected: { revision, problems },
    });
  };
  // A commit never changes: an unchanged branch costs no reading or parsing.
  const cache = context.resolvedCache;
  let resolved: ResolveResult;
  if (cache?.revision === revision && cache.result) {
    resolved = cache.result;
  } else {
    try {
      const fleet = await loadAt(context, revision);
      resolved = resolveDevice(fleet, device, context.facts);
    } catch (error) {
      if (!(error instanceof InvalidInputError))
        return finish({ revision, converged: false, deployments: [], errors: [messageOf(error)] });
      resolved = { problems: error.problems };
    }
    if (cache) Object.assign(cache, { revision, result: resolved });
  }
  if (!resolved.state) return reject(resolved.problems);
  // Tenant bind mounts are checked again where they will be mounted, symlinks followed.
  const bound = await resolveBindSources(resolved.state, context.config.engine.hostRoot);
  if (!bound.state) return reject(bound.problems);
  try {
    return await applyDesired(context, bound.state, revision, finish);
  } catch (error) {
    // A full disk, an engine gone away: reported as this pass's error. Whatever was under way is
    // recorded in the state file, and the next pass gates it again.
    if (!(error instanceof FerryError)) throw error;
    context.logger.error({ event: 'pass.failed', revision, reason: error.message }, 'pass failed');
    return finish({ revision, converged: false, deployments: [], errors: [error.message] });
  }
}

async function loadAt(context: PassContext, revision: string): Promise<LoadedFleet> {
  const scope = { device: context.config.device.id, facts: context.facts };
  try {
    return await loadFleet(await context.source.reader(revision), context.validator, scope);
  } catch (error) {
    // A rollout.previous older than our shallow history: fetch more once, then try again.
    const needsHistory =
      error instanceof InvalidInputError &&
      error.problems.some((p) => p.path.endsWith('rollout.previous'));
    if (!needsHistory) throw error;
    await context.source.deepen();
    return loadFleet(await context.source.reader(revision), context.validator, scope);
  }
}

async function applyDesired(
  context: PassContext,
  desired: DesiredState,
  revision: string,
  finish: Finish,
): Promise<PassReport> {
  const { engine, config, logger } = context;
  const state = await context.stateFile.read();
  const now = context.now();
  const held = heldDeployments(desired, state, now);

  // Download first, for held deployments too (windows gate applying, not downloading); a missing
  // image, a registry failure or too little disk stops the pass before anything running is touched.
  let fetched: FetchStats;
  const fetchStarted = Date.now();
  const branch = watchBranch(
    () => context.source.remoteHead(),
    revision,
    Math.max(1000, config.source.intervalMs),
  );
  try {
    const references = desired.deployments.flatMap((d) => d.services.map((s) => s.image));
    fetched = await context.fetcher.fetch(references, context.platform, branch.signal);
  } catch (error) {
    const reason = messageOf(error);
    if (error instanceof BranchMoved) {
      logger.warn({ event: 'pass.superseded', revision, next: error.to }, reason);
      return finish({
        revision,
        converged: false,
        deployments: [],
        errors: [reason],
        superseded: error.to,
      });
    }
    logger.error(
      { event: 'download.failed', revision, reason },
      'download failed; keeping what runs',
    );
    return finish({ revision, converged: false, deployments: [], errors: [reason] });
  } finally {
    branch.stop();
  }
  const applyStarted = Date.now();
  const stats = { bytesDownloaded: fetched.bytesDownloaded, layers: fetched.layers };
  const execute: ExecuteContext = { ...context.execute, imageIds: fetched.imageIds };
  const localImages = new Set(fetched.imageIds.keys());

  const records: Record<string, DeploymentRecord> = { ...state.deployments };
  const outcomes = new Map<string, DeploymentOutcome>();
  for (const deployment of desired.deployments) {
    const status = held.get(deployment.name);
    if (status) {
      outcomes.set(deployment.name, {
        status,
        services: [],
        ...(status === 'held-after-failure'
          ? { reason: records[deployment.name]?.failed?.reason ?? '' }
          : {}),
      });
      continue;
    }
    const { applying, ...record } = records[deployment.name] ?? {};
    const outcome = await applyDeployment({
      desired,
      deployment,
      record,
      namespace: config.engine.namespace,
      engine,
      execute,
      logger,
      localImages,
      hostRoot: config.engine.hostRoot,
      ungated: applying !== undefined,
      beforeChanges: () =>
        context.stateFile.write({
          ...state,
          deployments: {
            ...records,
            [deployment.name]: {
              ...record,
              applying: { revision: deployment.stackRevision, at: context.now().toISOString() },
            },
          },
        }),
    });
    outcomes.set(deployment.name, outcome);
    const at = context.now().toISOString();
    if (outcome.status === 'updated' || outcome.status === 'unchanged') {
      const known = record.lastKnownGood;
      // The same good version as before keeps its record (and its time): nothing to write.
      const same =
        outcome.status === 'unchanged' &&
        applying === undefined &&
        record.failed === undefined &&
        known?.revision === deployment.stackRevision &&
        canonicalJson(known.deployment) === canonicalJson(deployment);
      records[deployment.name] = same
        ? { lastKnownGood: known }
        : { lastKnownGood: { revision: deployment.stackRevision, deployment, at } };
    } else {
      const attempts =
        (record?.failed?.revision === deployment.stackRevision ? record.failed.attempts : 0) + 1;
      records[deployment.name] = {
        ...record,
        failed: { revision: deployment.stackRevision, reason: outcome.reason ?? '', at, attempts },
      };
    }
  }

  // Deployments that left this device's desired state.
  const current = await engine.snapshot(desired.device);
  const leaving = planReconcile({
    current,
    desired,
    namespace: config.engine.namespace,
    localImages: new Set(),
    hold: new Set(desired.deployments.map((d) => d.name)),
  });
  const removed = [...new Set(leaving.services.map((s) => s.deployment))];
  await executeSteps(leaving.steps, execute);
  for (const name of removed) delete records[name];

  const converged = [...outcomes.values()].every(
    (o) => o.status === 'updated' || o.status === 'unchanged',
  );
  const next: DaemonState = {
    version: 1,
    appliedRevision: converged ? revision : state.appliedRevision,
    deployments: records,
  };
  // A pass that changed nothing writes nothing (an SD card lives longer for it).
  if (canonicalJson(next) !== canonicalJson(state)) await context.stateFile.write(next);
  // Keep the images of what should run and of every last known good version (rollback needs them).
  const keep = new Set([
    ...desired.deployments.flatMap((d) => d.services.map((s) => s.image)),
    ...Object.values(records).flatMap(
      (r) => r.lastKnownGood?.deployment.services.map((s) => s.image) ?? [],
    ),
  ]);
  await removeUnusedImages(engine.docker, context.imageCache, keep, logger).catch(
    (error: unknown) =>
      logger.warn({ event: 'gc.failed', reason: messageOf(error) }, 'image clean-up failed'),
  );
  const final = await engine.snapshot(desired.device);
  const deployments: DeploymentReport[] = desired.deployments.map((deployment) => {
    const outcome = outcomes.get(deployment.name);
    return {
      name: deployment.name,
      status: outcome?.status ?? 'unchanged',
      revision: deployment.stackRevision,
      ...(outcome?.reason ? { reason: outcome.reason } : {}),
      services: final.containers
        .filter((c) => c.deployment === deployment.name)
        .map((c) => ({
          name: c.service,
          action: outcome?.services.find((s) => s.service === c.service)?.action ?? 'unchanged',
          image: c.image,
          state: c.state,
        })),
    };
  });
  for (const name of removed) deployments.push({ name, status: 'removed', revision, services: [] });
  const errors = [...outcomes.entries()]
    .filter(([, o]) => o.reason && o.status !== 'held-after-failure')
    .map(([name, o]) => `${name}: ${o.reason}`);
  const timings = { fetchMs: applyStarted - fetchStarted, applyMs: Date.now() - applyStarted };
  return finish({ revision, converged, deployments, errors, ...stats, timings });
}

function messageOf(error: unknown): string {
  return error instanceof FerryError || error instanceof Error ? error.message : String(error);
}
