// The planner: (engine state, desired state) -> ordered steps. Pure: plain data in, plain data
// out, so every rule here is covered by fast unit tests without Docker.
import type { DesiredDeployment, DesiredService, DesiredState } from '../desired/desired-state.js';
import { dependencyOrder } from '../desired/dependency-order.js';
import type { EngineState, ManagedContainer, ManagedObject } from './engine-state.js';
import { engineName, legacyEngineName, NEXT_SUFFIX } from './labels.js';
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
  const ns = input.namespace;
  // Containers labelled with this deployment's name but another tenant were left by an earlier
  // owner of the name: never adopted, removed first.
  const sameTenant = (c: { tenant?: string }) => c.tenant === deployment.tenant;
  for (const stale of currentAll.filter((c) => !sameTenant(c))) {
    steps.push(...removal(stale));
    services.push({ deployment: deployment.name, service: stale.service, action: 'remove' });
  }
  const current = currentAll.filter(sameTenant);
  const owner = {
    deployment: deployment.name,
    ...(deployment.tenant === undefined ? {} : { tenant: deployment.tenant }),
  };
  const place = (objects: readonly ManagedObject[], object: string, scoped: string) =>
    placeObject(objects, deployment, object, engineName(ns, scoped), ns, current.length > 0);

  const networkNames: Record<string, string> = {};
  for (const network of deployment.networks) {
    const { name, exists } = place(input.current.networks, network.name, network.engineName);
    networkNames[network.name] = name;
    if (!exists) steps.push({ action: 'createNetwork', ...owner, network, engineName: name });
  }
  const volumeNames: Record<string, string> = {};
  for (const volume of deployment.volumes) {
    const { name, exists } = place(input.current.volumes, volume.name, volume.engineName);
    volumeNames[volume.name] = name;
    if (!exists) steps.push({ action: 'createVolume', ...owner, volume, engineName: name });
  }

  const context: ContainerContext = {
    device: input.desired.device,
    revision: deployment.stackRevision,
    ...(deployment.tenant === undefined ? {} : { tenant: deployment.tenant }),
    networks: networkNames,
    volumes: volumeNames,
    containers: Object.fromEntries(
      deployment.services.map((s) => [s.name, engineName(ns, s.containerName)]),
    ),
  };
  const waitsFor = conditionsWaitedOn(deployment.services);
  const gates: Step[] = [];
  // After a crash in the middle of applying this deployment, no container of it has been seen
  // healthy: every service passes the gate again before the version counts as good.
  const ungated = input.ungated?.has(deployment.name) ?? false;
  for (const service of dependencyOrder(deployment.services)) {
    const name = engineName(ns, service.containerName);
    const mine = current.filter((c) => c.service === service.name);
    // After an interrupted update there may be two containers (old and `.next`): keep the one
    // that already matches, else the one under the final name; remove the rest.
    const matches = (c: ManagedContainer) => c.configHash === service.configHash;
    const primary =
      mine.find((c) => matches(c) && c.name === name) ??
      mine.find(matches) ??
      mine.find((c) => c.name === name) ??
      mine[0];
    const leftovers = mine.filter((c) => c !== primary);
    const base = { deployment: deployment.name, service: service.name };
    const gateOn = (engine: string): Step => ({
      action: 'waitFor',
      ...base,
      engineName: engine,
      condition: 'update_healthy',
      timeoutMs: deployment.update.healthTimeoutMs,
    });
    const dependents = (waitsFor.get(service.name) ?? []).map((condition): Step => ({
      action: 'waitFor',
      ...base,
      engineName: name,
      condition,
      timeoutMs: deployment.update.healthTimeoutMs,
    }));

    if (primary && matches(primary) && primary.name !== name) {
      // A `.next` container adopted after a crash has not been seen healthy yet: it is gated
      // before the old container goes, as start-first would have done.
      if (primary.state === 'created')
        steps.push({ action: 'startContainer', ...base, engineName: primary.name });
      steps.push(gateOn(primary.name));
      for (const leftover of leftovers) steps.push(...removal(leftover));
      steps.push(
        { action: 'renameContainer', ...base, engineName: primary.name, to: name },
        ...dependents,
      );
      services.push({ ...base, action: 'recreate' });
      continue;
    }
    for (const leftover of leftovers) steps.push(...removal(leftover));
    if (primary && matches(primary)) {
      if (primary.state === 'created') {
        steps.push({ action: 'startContainer', ...base, engineName: name }, ...dependents);
        gates.push(gateOn(name));
        services.push({ ...base, action: 'start' });
      } else if (ungated) {
        steps.push(...dependents);
        gates.push(gateOn(name));
        services.push({ ...base, action: 'verify' });
      } else {
        services.push({ ...base, action: 'unchanged' });
      }
      continue;
    }
    const gate = gateOn(name);
    if (!primary) {
      steps.push(
        { action: 'createContainer', ...base, service, engineName: name, context },
        { action: 'startContainer', ...base, engineName: name },
        ...dependents,
      );
      gates.push(gate);
      services.push({ ...base, action: 'create' });
      continue;
    }
    const order = updateOrder(deployment, service);
    if (order === 'stop-first') {
      steps.push(
        ...removal(primary),
        { action: 'createContainer', ...base, service, engineName: name, context },
        { action: 'startContainer', ...base, engineName: name },
        ...dependents,
      );
      gates.push(gate);
    } else {
      // The new container must pass its health gate before the old one is stopped.
      const next = `${name}${NEXT_SUFFIX}`;
      steps.push(
        { action: 'createContainer', ...base, service, engineName: next, context },
        { action: 'startContainer', ...base, engineName: next },
        gateOn(next),
        ...removal(primary),
        { action: 'renameContainer', ...base, engineName: next, to: name },
      );
    }
    services.push({ ...base, action: 'recreate', order });
  }
  steps.push(...gates);

  const wanted = new Set(deployment.services.map((s) => s.name));
  for (const container of current.filter((c) => !wanted.has(c.service))) {
    steps.push(...removal(container));
    services.push({ deployment: deployment.name, service: container.service, action: 'remove' });
  }
  return { steps, services };
}

/**
 * The engine name of a deployment's network or volume, and whether it exists already. An object is
 * adopted only when its labels name this deployment and tenant. One made with the earlier '-'
 * names (no `ferry.object` label) is adopted under its old name while the deployment's containers
 * still run here with this tenant, so a gateway upgraded from those names keeps its volumes' data
 * and its services their network. Anything else under our name is not adopted: the plan creates
 * it, and the engine step refuses a name that is taken (execute-steps.ts).
 */
function placeObject(
  objects: readonly ManagedObject[],
  deployment: DesiredDeployment,
  object: string,
  name: string,
  namespace: string,
  runsHere: boolean,
): { name: string; exists: boolean } {
  const owned = (o: ManagedObject) =>
    o.deployment === deployment.name && o.tenant === deployment.tenant;
  if (objects.some((o) => o.name === name && owned(o) && (o.object ?? object) === object))
    return { name, exists: true };
  const legacy = legacyEngineName(namespace, deployment.tenant, deployment.name, object);
  const old = objects.find(
    (o) => o.name === legacy && o.object === undefined && o.deployment === deployment.name,
  );
  if (old && runsHere) return { name: legacy, exists: true };
  return { name, exists: false };
}

/**
 * start-first (the default) runs the new container before the old one stops, so a service is
 * never down during an update; but two containers cannot publish the same host port or share
 * the host network's ports, so those fall back to stop-first.
 */
export function updateOrder(
  deployment: DesiredDeployment,
  service: DesiredService,
): 'start-first' | 'stop-first' {
  if (deployment.update.order === 'stop-first') return 'stop-first';
  if (service.networkMode === 'host') return 'stop-first';
  if (service.ports.some((p) => p.published !== undefined)) return 'stop-first';
  return 'start-first';
}

function conditionsWaitedOn(
  services: readonly DesiredService[],
): Map<string, ('service_healthy' | 'service_completed_successfully')[]> {
  const out = new Map<string, ('service_healthy' | 'service_completed_successfully')[]>();
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
