// One reconcile pass: source -> desired -> decide -> fetch -> apply -> settle -> report. The
// daemon loop and `ferryd once` both run exactly this. Decisions are pure (decide-pass.ts,
// settle-pass.ts, the planner); this file only carries them out.
import type { Logger } from 'pino';
import { FerryError, InvalidInputError } from '#kernel/errors.js';
import type { Problem } from '#kernel/problem.js';
import type { SchemaValidator } from '#kernel/validate.js';
import { resolveBindSources } from '../apply/bind-sources.js';
import type { ContainerEngine } from '../apply/container-engine.js';
import { sweepShipped, type ShippedStore } from '../apply/shipped-store.js';
import { executeSteps, type ExecuteContext } from '../apply/execute-steps.js';
import type { Clock } from '../apply/wait-for.js';
import type { DaemonConfig } from '../config/daemon-config.js';
import type { DesiredState, DeviceFacts } from '#kernel/fleet/desired-state.js';
import type { LoadedFleet } from '#kernel/fleet/fleet-model.js';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { resolveDevice, type ResolveResult } from '#kernel/fleet/resolve-device.js';
import type { ImageCache } from '../fetch/image-cache.js';
import type { FetchStats, ImageFetcher } from '../fetch/image-fetcher.js';
import { removeUnusedImages } from '../fetch/image-gc.js';
import type { ImageStore } from '../fetch/image-store.js';
import type { Platform } from '#kernel/oci/resolve-image.js';
import type { PassReport } from '../report/pass-report.js';
import type { GitSource } from '../source/git-source.js';
import { refusedCommit, type SourceTrust } from '../source/source-trust.js';
import type { BeaconWatch } from '../source/beacon-watch.js';
import { frozenReport, passSource, type PassSource } from './pass-source.js';
import { withPausedSteps } from './paused-rollouts.js';
import { failureOf, messageOf, passFinisher, type Finish, type Summary } from './pass-finish.js';
import type { DaemonState, StateFile } from '../state/state-file.js';
import { applyDeployment } from './apply-deployment.js';
import { BranchMoved, watchBranch } from './branch-watch.js';
import { decidePass, type PassDecision } from './decide-pass.js';
import { PassImages } from './pass-images.js';
import {
  deploymentReports,
  recordsAfter,
  settlePass,
  type DeploymentOutcome,
} from './settle-pass.js';

/** The ports a pass works through, wired once per configuration (agent-context.ts). */
export interface PassContext {
  readonly config: DaemonConfig;
  readonly engine: ContainerEngine;
  readonly images: ImageStore;
  readonly source: GitSource;
  readonly stateFile: StateFile;
  readonly validator: SchemaValidator;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly facts: DeviceFacts;
  readonly platform: Platform;
  readonly fetcher: ImageFetcher;
  readonly imageCache: ImageCache;
  /** Content of mounts that are not device paths (repository files, data folders, secrets). */
  readonly shipped: ShippedStore;
  /** The last revision resolved and its result: a commit never changes. */
  readonly resolvedCache: { revision?: string; result?: ResolveResult };
  /** Whether a branch tip may be applied: its history, and its signatures with `trust` set. */
  readonly trust: SourceTrust;
  /** With source.beacon: the beacon polled instead of the git server. */
  readonly beacon?: BeaconWatch;
  /** Told when a health gate starts and ends (the daemon shows it in /status). */
  readonly onGate?: ExecuteContext['onGate'];
  /** Lets go of what the wiring holds open (the engine's event stream). */
  readonly close?: () => void;
}

export async function reconcilePass(context: PassContext): Promise<PassReport> {
  const { finish, failed } = passFinisher(context.config.device.id, context.clock);

  let picked: PassSource;
  try {
    picked = await passSource(context);
  } catch (error) {
    return failed(null, error);
  }
  const { revision, refusal, frozen } = picked;
  // Refused like a bad commit: what runs keeps running, and the reason names the commit.
  if (refusal)
    return failed(revision, refusal, {
      rejected: refusedCommit(context.logger, revision, refusal),
    });
  // A revision that does not load or resolve is refused whole; what runs stays as it is.
  const reject = (problems: readonly Problem[]): PassReport => {
    context.logger.error(
      { event: 'revision.rejected', revision, problems },
      'fleet refused at this revision; keeping what runs',
    );
    return failed(revision, new InvalidInputError(problems), { rejected: { revision, problems } });
  };
  let resolved: ResolveResult;
  try {
    resolved = await resolveAt(context, revision);
  } catch (error) {
    return failed(revision, error);
  }
  if (!resolved.state) return reject(resolved.problems);
  const desired = await withPausedSteps(
    resolved.state,
    resolved.pausedFallbacks,
    context.stateFile,
  );
  // Tenant bind mounts are checked again where they will be mounted, symlinks followed.
  const bound = await resolveBindSources(desired, context.config.engine.hostRoot);
  if (!bound.state) return reject(bound.problems);
  try {
    const report = await applyDesired(context, bound.state, revision, finish);
    return frozen ? frozenReport(report, frozen) : report;
  } catch (error) {
    // A full disk, an engine gone away: reported as this pass's error. Whatever was under way is
    // recorded in the state file, and the next pass gates it again.
    if (!(error instanceof FerryError)) throw error;
    context.logger.error({ event: 'pass.failed', revision, reason: error.message }, 'pass failed');
    return failed(revision, error);
  }
}

/** This device's desired state at `revision`; unchanged branches cost no reading or parsing. */
async function resolveAt(context: PassContext, revision: string): Promise<ResolveResult> {
  const cache = context.resolvedCache;
  if (cache.revision === revision && cache.result) return cache.result;
  let result: ResolveResult;
  try {
    const fleet = await loadAt(context, revision);
    result = resolveDevice(fleet, context.config.device.id, context.facts);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    result = { problems: error.problems };
  }
  Object.assign(cache, { revision, result });
  return result;
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
  const { engine, config, logger, clock } = context;
  const state = await context.stateFile.read();
  const decision = decidePass({
    state,
    desired,
    // Asked again unless the engine's events say nothing changed since the last pass.
    engine: await engine.snapshot(desired.device, { reuse: true }),
    namespace: config.engine.namespace,
    now: new Date(clock.now()),
  });
  // Download first; a missing image, a registry failure or too little disk stops the pass
  // before anything running is touched.
  const images = new PassImages(context.fetcher, context.platform);
  const fetchStarted = clock.now();
  const fetched = await fetchForPass(context, images, decision, revision);
  if (!('imageIds' in fetched)) return finish(fetched);
  const applyStarted = clock.now();
  const execute: ExecuteContext = {
    engine,
    device: desired.device,
    logger,
    clock,
    images,
    files: context.shipped,
    ...(context.onGate ? { onGate: context.onGate } : {}),
  };
  const applied = await applyTurns(context, desired, state, decision, execute);
  await executeSteps(decision.leaving.steps, execute);
  const removed = [...new Set(decision.leaving.services.map((s) => s.deployment))];

  const now = new Date(clock.now());
  const settled = settlePass({ state, desired, decision, revision, applied, removed, now });
  // A pass that changed nothing writes nothing (an SD card lives longer for it).
  if (settled.changed) await context.stateFile.write(settled.state);
  await removeUnusedImages(context.images, context.imageCache, settled.keepImages, logger).catch(
    (error: unknown) =>
      logger.warn({ event: 'gc.failed', reason: messageOf(error) }, 'image clean-up failed'),
  );
  await sweepShipped(config.state.dir, settled.keepFiles).catch((error: unknown) =>
    logger.warn({ event: 'gc.failed', reason: messageOf(error) }, 'file clean-up failed'),
  );
  const final = await engine.snapshot(desired.device, { reuse: true });
  return finish({
    revision,
    converged: settled.converged,
    deployments: deploymentReports(desired, settled, final, removed, revision),
    failures: settled.failures,
    bytesDownloaded: fetched.bytesDownloaded,
    layers: fetched.layers,
    timings: { fetchMs: applyStarted - fetchStarted, applyMs: clock.now() - applyStarted },
  });
}

/** The pass's downloads, cancelled when the branch moves on; a summary when they fail. */
async function fetchForPass(
  context: PassContext,
  images: PassImages,
  decision: PassDecision,
  revision: string,
): Promise<FetchStats | Summary> {
  const { logger } = context;
  const branch = watchBranch(
    () => context.source.remoteHead(),
    revision,
    Math.max(1000, context.config.source.intervalMs),
  );
  try {
    return await images.fetchAll(decision.fetch.images, branch.signal);
  } catch (error) {
    const failure = failureOf(error);
    const summary = { revision, converged: false, deployments: [], failures: [failure] };
    if (error instanceof BranchMoved) {
      logger.warn({ event: 'pass.superseded', revision, next: error.to }, failure.message);
      return { ...summary, superseded: error.to };
    }
    logger.error(
      { event: 'download.failed', revision, reason: failure.message },
      'download failed; keeping what runs',
    );
    return summary;
  } finally {
    branch.stop();
  }
}

/** Applies each deployment in turn, marking it `applying` in the state file before it changes. */
async function applyTurns(
  context: PassContext,
  desired: DesiredState,
  state: DaemonState,
  decision: PassDecision,
  execute: ExecuteContext,
): Promise<Map<string, DeploymentOutcome>> {
  const applied = new Map<string, DeploymentOutcome>();
  for (const turn of decision.turns) {
    const { deployment, record } = turn;
    const at = () => new Date(context.clock.now()).toISOString();
    const outcome = await applyDeployment({
      desired,
      turn,
      namespace: context.config.engine.namespace,
      execute,
      hostRoot: context.config.engine.hostRoot,
      beforeChanges: () =>
        context.stateFile.write({
          ...state,
          deployments: {
            ...recordsAfter(state, decision, applied, at()),
            [deployment.name]: {
              ...record,
              applying: { revision: deployment.stackRevision, at: at() },
            },
          },
        }),
    });
    applied.set(deployment.name, outcome);
  }
  return applied;
}
