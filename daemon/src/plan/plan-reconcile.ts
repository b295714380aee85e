// The planner: (engine state, desired state) -> ordered steps. Pure: plain data in, plain data
// out, so every rule here is covered by fast unit tests without Docker.
import type {
  DesiredDeployment,
  DesiredService,
  DesiredState,
} from '#kernel/fleet/desired-state.js';
import { dependencyOrder } from '#kernel/fleet/dependency-order.js';
import { updateOrder } from '#kernel/fleet/update-order.js';
import type { EngineState, ManagedContainer } from './engine-state.js';
import { engineName, NEXT_SUFFIX } from './labels.js';
import { planObjects } from './plan-objects.js';
import type { ContainerContext, Plan, ServicePlan, Step } from './steps.js';

export interface PlanInput {
  readonly current: EngineState;
  readonly desired: DesiredState;
  /** Engine namespace of this ferryd (several simulated devices can share one engine). */
  readonly namespace: string;
  /** Image references the engine already has (the rest are fetched first). */
  readonly localImages: ReadonlySet<string>;
  /** Deployments to leave exactly as they are this pass (outside their window, say). */
  readonly hold?: ReadonlySet<string>;
  /** Deployments whose last apply was interrupted: every service is gated again. */
  readonly ungated?: ReadonlySet<string>;
}

export function planReconcile(input: PlanInput): Plan {
  const hold = input.hold ?? new Set<string>();
  const steps: Step[] = [];
  const services: ServicePlan[] = [];
  const active = input.desired.deployments.filter((d) => !hold.has(d.name));

  // Download everything first: nothing running is touched until every image is here.
  const images = new Set(active.flatMap((d) => d.services.map((s) => s.image)));
  const missing = [...images].filter((image) => !input.localImages.has(image)).sort();
  if (missing.length > 0) steps.push({ action: 'fetchImages', images: missing });

  for (const deployment of active) {
    const current = input.current.containers.filter((c) => c.deployment === deployment.name);
    const planned = planDeployment(deployment, current, input);
    steps.push(...planned.steps);
    services.push(...planned.services);
  }

  const desiredNames = new Set(input.desired.deployments.map((d) => d.name));
  const leaving = [...new Set(input.current.containers.map((c) => c.deployment))].filter(
    (d) => !desiredNames.has(d) && !hold.has(d),
  );
  for (const name of leaving.sort()) {
    for (const container of input.current.containers.filter((c) => c.deployment === name)) {
      steps.push(...removal(container));
      services.push({ deployment: name, service: container.service, action: 'remove' });
    }
    for (const network of input.current.networks.filter((n) => n.deployment === name)) {
      steps.push({ action: 'removeNetwork', deployment: name, engineName: network.name });
    }
  }
  return { steps, services };
}

function planDeployment(
  deployment: DesiredDeployment,
  currentAll: readonly ManagedContainer[],
  input: PlanInput,
): Plan {
  const steps: Step[] = [];
  const services: ServicePlan[] = [];
  // Containers labelled with this deployment's name but another tenant were left by an earlier
  // owner of the name: never adopted, removed first.
  const sameTenant = (c: { tenant?: string }) => c.tenant === deployment.tenant;
  for (const stale of currentAll.filter((c) => !sameTenant(c))) {
    steps.push(...removal(stale));
    services.push({ deployment: deployment.name, service: stale.service, action: 'remove' });
  }
  const current = currentAll.filter(sameTenant);
  const objects = planObjects(deployment, input, current.length > 0);
  steps.push(...objects.steps);

  const ns = input.namespace;
  const context: ContainerContext = {
    device: input.desired.device,
    revision: deployment.stackRevision,
    ...(deployment.tenant === undefined ? {} : { tenant: deployment.tenant }),
    networks: objects.networks,
    volumes: objects.volumes,
    containers: Object.fromEntries(
      deployment.services.map((s) => [s.name, engineName(ns, s.containerName)]),
    ),
  };
  const waitsFor = conditionsWaitedOn(deployment.services);
  const gates: Step[] = [];
  for (const service of dependencyOrder(deployment.services)) {
    const decided = planService({
      deployment,
      service,
      mine: current.filter((c) => c.service === service.name),
      name: engineName(ns, service.containerName),
      context,
      waitedOn: waitsFor.get(service.name) ?? [],
      // After a crash in the middle of applying this deployment, no container of it has been
      // seen healthy: every service passes the gate again before the version counts as good.
      ungated: input.ungated?.has(deployment.name) ?? false,
    });
    steps.push(...decided.steps);
    gates.push(...decided.gates);
    services.push(decided.plan);
  }
  steps.push(...gates);

  const wanted = new Set(deployment.services.map((s) => s.name));
  for (const container of current.filter((c) => !wanted.has(c.service))) {
    steps.push(...removal(container));
    services.push({ deployment: deployment.name, service: container.service, action: 'remove' });
  }
  return { steps, services };
}

interface ServiceInput {
  readonly deployment: DesiredDeployment;
  readonly service: DesiredService;
  /** This service's containers on the engine (two after an interrupted update). */
  readonly mine: readonly ManagedContainer[];
  /** Its container's engine name. */
  readonly name: string;
  readonly context: ContainerContext;
  /** Conditions other services wait on it for (depends_on). */
  readonly waitedOn: readonly WaitCondition[];
  readonly ungated: boolean;
}

interface ServiceDecision {
  readonly steps: readonly Step[];
  /** Health gates run after every service of the deployment has its steps. */
  readonly gates: readonly Step[];
  readonly plan: ServicePlan;
}

/** One service: keep, start, verify, adopt an interrupted `.next`, create or recreate it. */
function planService(input: ServiceInput): ServiceDecision {
  const { service, mine, name } = input;
  // After an interrupted update there may be two containers (old and `.next`): keep the one
  // that already matches, else the one under the final name; remove the rest.
  const matches = (c: ManagedContainer) => c.configHash === service.configHash;
  const primary =
    mine.find((c) => matches(c) && c.name === name) ??
    mine.find(matches) ??
    mine.find((c) => c.name === name) ??
    mine[0];
  const leftovers = mine.filter((c) => c !== primary).flatMap(removal);
  if (primary && matches(primary)) return planMatching(input, primary, leftovers);
  const decided = planReplacing(input, primary);
  return { ...decided, steps: [...leftovers, ...decided.steps] };
}

/** The steps a service's decision is made of. */
function stepMaker(input: ServiceInput) {
  const base = { deployment: input.deployment.name, service: input.service.name };
  const timeoutMs = input.deployment.update.healthTimeoutMs;
  return {
    base,
    gateOn: (engine: string): Step => ({
      action: 'waitFor',
      ...base,
      engineName: engine,
      condition: 'update_healthy',
      timeoutMs,
    }),
    /** What services that depend on this one wait for, once it runs under its final name. */
    dependents: input.waitedOn.map((condition): Step => ({
      action: 'waitFor',
      ...base,
      engineName: input.name,
      condition,
      timeoutMs,
    })),
    create: (as: string): Step[] => [
      {
        action: 'createContainer',
        ...base,
        service: input.service,
        engineName: as,
        context: input.context,
      },
      { action: 'startContainer', ...base, engineName: as },
    ],
    start: (as: string): Step => ({ action: 'startContainer', ...base, engineName: as }),
    rename: (from: string): Step => ({
      action: 'renameContainer',
      ...base,
      engineName: from,
      to: input.name,
    }),
  };
}

/** A container with the wanted definition exists: keep, start, verify it, or finish its update. */
function planMatching(
  input: ServiceInput,
  primary: ManagedContainer,
  leftovers: readonly Step[],
): ServiceDecision {
  const { base, gateOn, dependents, start, rename } = stepMaker(input);
  const { name } = input;
  if (primary.name !== name) {
    // A `.next` container adopted after a crash has not been seen healthy yet: it is gated
    // before the old container goes, as start-first would have done.
    const starting = primary.state === 'created' ? [start(primary.name)] : [];
    return {
      steps: [...starting, gateOn(primary.name), ...leftovers, rename(primary.name), ...dependents],
      gates: [],
      plan: { ...base, action: 'recreate' },
    };
  }
  if (primary.state === 'created')
    return {
      steps: [...leftovers, start(name), ...dependents],
      gates: [gateOn(name)],
      plan: { ...base, action: 'start' },
    };
  if (input.ungated)
    return {
      steps: [...leftovers, ...dependents],
      gates: [gateOn(name)],
      plan: { ...base, action: 'verify' },
    };
  return { steps: leftovers, gates: [], plan: { ...base, action: 'unchanged' } };
}

/** No container has the wanted definition: create one, or replace the old one. */
function planReplacing(input: ServiceInput, old: ManagedContainer | undefined): ServiceDecision {
  const { base, gateOn, dependents, create, rename } = stepMaker(input);
  const { name } = input;
  if (!old)
    return {
      steps: [...create(name), ...dependents],
      gates: [gateOn(name)],
      plan: { ...base, action: 'create' },
    };
  const { order, why } = updateOrder(input.deployment, input.service);
  const plan: ServicePlan = { ...base, action: 'recreate', order, ...(why ? { why } : {}) };
  if (order === 'stop-first')
    return {
      steps: [...removal(old), ...create(name), ...dependents],
      gates: [gateOn(name)],
      plan,
    };
  // start-first: the new container must pass its health gate before the old one is stopped.
  const next = `${name}${NEXT_SUFFIX}`;
  return { steps: [...create(next), gateOn(next), ...removal(old), rename(next)], gates: [], plan };
}

type WaitCondition = 'service_healthy' | 'service_completed_successfully';

function conditionsWaitedOn(services: readonly DesiredService[]): Map<string, WaitCondition[]> {
  const out = new Map<string, WaitCondition[]>();
  for (const service of services) {
    for (const { service: dependency, condition } of service.dependsOn) {
      if (condition === 'service_started') continue;
      const list = out.get(dependency) ?? [];
      if (!list.includes(condition)) list.push(condition);
      out.set(dependency, list);
    }
  }
  return out;
}

function removal(container: ManagedContainer): Step[] {
  const base = {
    deployment: container.deployment,
    service: container.service,
    containerId: container.id,
  };
  const stop: Step[] =
    container.state === 'running' || container.state === 'restarting'
      ? [{ action: 'stopContainer', ...base }]
      : [];
  return [...stop, { action: 'removeContainer', ...base }];
}
