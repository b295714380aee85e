// One evaluation of the rollout controller: for every deployment with a rollout in progress, how
// the devices of its step fare (from the hub), the decision (decide-rollout.ts), and for a
// promotion or a pause, one commit to fleet.yaml saying why. Every decision is keyed and kept in
// the state folder (decision-log.ts), recorded before its commit is pushed, so a restarted
// controller never commits twice for one decision, and announces each one it pushed, at least
// once.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseDuration } from '#kernel/duration.js';
import { hubDevices, hubRequest, type HubClientOptions } from '../hub/hub-client.js';
import { decideRollout, type RolloutDecision } from './decide-rollout.js';
import { editRollout } from './fleet-edit.js';
import { decisionMessage } from './decision-message.js';
import type { RolloutRepo } from './rollout-repo.js';
import { DecisionLog, type Outcome } from './decision-log.js';

export interface ControllerOptions {
  readonly repo: RolloutRepo;
  readonly hub: HubClientOptions;
  readonly stateDir: string;
  readonly logger: Logger;
  /** A JSON POST for each pause, promotion and completed rollout (chat, paging). */
  readonly notify?: string;
  readonly now?: () => number;
}

export interface Evaluated {
  readonly deployment: string;
  readonly decision: RolloutDecision;
  /** The commit that carried it out, when it made one. */
  readonly commit?: string;
}

export async function evaluateRollouts(options: ControllerOptions): Promise<Evaluated[]> {
  const { repo } = options;
  const now = (options.now ?? Date.now)();
  const log = new DecisionLog(join(options.stateDir, 'decisions.json'));
  let head = await catchUp(options, log);
  let text = (await repo.fleetText(head)) ?? '';
  const devices = await hubDevices(options.hub);
  const results: Evaluated[] = [];
  for (const { name, rollout } of await repo.deployments(head)) {
    if (!rollout) continue;
    const decision = decideRollout({
      deployment: name,
      rollout,
      stepSince: await repo.stepSince(head, name),
      promoteAfterMs: parseDuration(rollout.promoteAfter ?? '0s') ?? 0,
      now,
      devices: devices.filter((d) => d.deployments.some((x) => x.name === name)),
    });
    if (decision.action === 'wait') {
      results.push({ deployment: name, decision });
      continue;
    }
    const key = `${name} ${rollout.previous} ${decision.action} ${JSON.stringify(decision.action === 'promote' ? [decision.from, decision.to] : [decision.at])}`;
    if (await log.taken(key)) continue;
    const outcome: Outcome = {
      key,
      deployment: name,
      previous: rollout.previous,
      decision,
      at: new Date(now).toISOString(),
    };
    let commit: string | undefined;
    if (decision.action === 'complete') await log.begin(outcome);
    else {
      text = editRollout(
        text,
        name,
        decision.action === 'promote' ? { kind: 'promote', to: decision.to } : { kind: 'pause' },
      );
      const made = await repo.commitFleet(text, decisionMessage(name, rollout, decision));
      commit = head = made.oid;
      // Recorded before the push: a stop during it leaves the record to check on the branch.
      await log.begin({ ...outcome, commit, ...(made.pushed ? {} : { unconfirmed: true }) });
      if (!made.pushed) {
        await repo.push();
        await log.confirm(key);
      }
    }
    await deliver(options, log, { ...outcome, ...(commit ? { commit } : {}) });
    results.push({ deployment: name, decision, ...(commit ? { commit } : {}) });
  }
  return results;
}

/**
 * Delivers what a controller that stopped left pending, and syncs the clone; the branch head.
 * Decisions pushed are said first, even when the git server is away now; one recorded around its
 * push is said if its commit got to the branch, and forgotten (to be decided again) if not.
 */
async function catchUp(options: ControllerOptions, log: DecisionLog): Promise<string> {
  for (const outcome of await log.pending())
    if (!outcome.unconfirmed) await deliver(options, log, outcome);
  const head = await options.repo.sync();
  for (const outcome of await log.pending())
    if (outcome.commit && (await options.repo.published(outcome.commit)))
      await deliver(options, log, outcome);
    else await log.abandon(outcome.key);
  return head;
}

/** Announces a decision carried out, and records it done. */
async function deliver(options: ControllerOptions, log: DecisionLog, outcome: Outcome) {
  await announce(options, outcome);
  await log.done(outcome.key);
}

/** What is said of a decision carried out: the log line, the notification, the hub's history. */
async function announce(options: ControllerOptions, outcome: Outcome): Promise<void> {
  const { deployment, previous, decision, commit, at } = outcome;
  const committed = commit ? { commit } : {};
  options.logger.info(
    { event: `rollout.${decision.action}`, deployment, commit, decision },
    'rollout decision',
  );
  await notify(options, { deployment, previous, decision, ...committed, at });
  await tellHub(options, deployment, { ...decision, previous, ...committed });
}

/** The hub keeps the deployment's history of decisions (its deployment page shows it). */
async function tellHub(options: ControllerOptions, name: string, body: Record<string, unknown>) {
  await hubRequest(options.hub, `/api/v1/deployments/${name}/decisions`, {
    method: 'POST',
    body,
  }).catch((error: unknown) =>
    options.logger.warn(
      { event: 'rollout.hub_failed', reason: String(error) },
      'the hub did not take the decision',
    ),
  );
}

/** The notification hook: one JSON POST per decision, with a deadline; a failure is logged. */
async function notify(options: ControllerOptions, body: Record<string, unknown>): Promise<void> {
  if (!options.notify) return;
  const decision = body.decision as RolloutDecision;
  const event = { promote: 'promoted', pause: 'paused', complete: 'completed', wait: 'waiting' }[
    decision.action
  ];
  await fetch(options.notify, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'ferry.rollout', event, ...body }),
    signal: AbortSignal.timeout(10_000),
  }).then(
    (response) => void response.body?.cancel(),
    (error: unknown) =>
      options.logger.warn(
        { event: 'rollout.notify_failed', reason: String(error) },
        'notify failed',
      ),
  );
}
