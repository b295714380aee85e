// The planner: (engine state, desired state) -> ordered steps. Pure: plain data in, plain data
// out, so every rule here is covered by fast unit tests without Docker.
import type { DesiredDeployment, DesiredService, DesiredState } from '../desired/desired-state.js';
import { dependencyOrder } from '../desired/dependency-order.js';
import type { EngineState, ManagedContainer } from './engine-state.js';
import { engineName } from './labels.js';
import type { ContainerContext, Plan, ServicePlan, Step } from './steps.js';

export interface PlanInput {
  readonly current: EngineState;
  readonly desired: DesiredState;
  /** Engine namespace of this ferryd (several simulated devices can share one engine). */
  readonly namespace: string;
  /** Image references the engine already has. */
  readonly localImages: ReadonlySet<string>;
  /** Deployments to leave exactly as they are this pass (outside their window, say). */
  readonly hold?: ReadonlySet<string>;
}

/** Suffix of the new container while a start-first update runs beside the old one. */
export const NEXT_SUFFIX = '-next';

export function planReconcile(input: PlanInput): Plan {
  const hold = input.hold ?? new Set<string>();
  const steps: Step[] = [];
  const services: ServicePlan[] = [];
  const active = input.desired.deployments.filter((d) => !hold.has(d.name));

  // Download everything first: nothing running is touched until every image is here.
  const images = new Set(active.flatMap((d) => d.services.map((s) => s.image)));
  for (const image of [...images].sort())
    if (!input.localImages.has(image)) steps.push({ action: 'pullImage', image });

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
  current: readonly ManagedContainer[],
  input: PlanInput,
): Plan {
  const steps: Step[] = [];
  const services: ServicePlan[] = [];
  const ns = input.namespace;
  const existingNetworks = new Set(input.current.networks.map((n) => n.name));
  const existingVolumes = new Set(input.current.volumes.map((v) => v.name));
  for (const network of deployment.networks) {
    const name = engineName(ns, network.engineName);
    if (!existingNetworks.has(name))
      steps.push({
        action: 'createNetwork',
        deployment: deployment.name,
        network,
        engineName: name,
      });
  }
  for (const volume of deployment.volumes) {
    const name = engineName(ns, volume.engineName);
    if (!existingVolumes.has(name))
      steps.push({ action: 'createVolume', deployment: deployment.name, volume, engineName: name });
  }

  const context: ContainerContext = {
    device: input.desired.device,
    revision: deployment.stackRevision,
    ...(deployment.tenant === undefined ? {} : { tenant: deployment.tenant }),
    networks: Object.fromEntries(
      deployment.networks.map((n) => [n.name, engineName(ns, n.engineName)]),
    ),
    volumes: Object.fromEntries(
      deployment.volumes.map((v) => [v.name, engineName(ns, v.engineName)]),
    ),
    containers: Object.fromEntries(
      deployment.services.map((s) => [s.name, engineName(ns, s.containerName)]),
    ),
  };
  const waitsFor = conditionsWaitedOn(deployment.services);
  const gates: Step[] = [];
  for (const service of dependencyOrder(deployment.services)) {
    const name = engineName(ns, service.containerName);
    const mine = current.filter((c) => c.service === service.name);
    // After an interrupted update there may be two containers (old and `-next`): keep the one
    // that already matches, else the one under the final name; remove the rest first.
    const matches = (c: ManagedContainer) => c.configHash === service.configHash;
    const primary =
      mine.find((c) => matches(c) && c.name === name) ??
      mine.find(matches) ??
      mine.find((c) => c.name === name) ??
      mine[0];
    for (const leftover of mine.filter((c) => c !== primary)) steps.push(...removal(leftover));
    const base = { deployment: deployment.name, service: service.name };

    if (primary && matches(primary)) {
      if (primary.name !== name) {
        // A `-next` container adopted after a crash has not been seen healthy yet: gate it.
        steps.push({ action: 'renameContainer', ...base, engineName: primary.name, to: name });
        if (primary.state === 'created')
          steps.push({ action: 'startContainer', ...base, engineName: name });
        gates.push({
          action: 'waitFor',
          ...base,
          engineName: name,
          condition: 'update_healthy',
          timeoutMs: deployment.update.healthTimeoutMs,
        });
        services.push({ ...base, action: 'recreate' });
      } else if (primary.state === 'created') {
        steps.push({ action: 'startContainer', ...base, engineName: name });
        services.push({ ...base, action: 'start' });
      } else {
        services.push({ ...base, action: 'unchanged' });
      }
      continue;
    }
    const gate: Step = {
      action: 'waitFor',
      ...base,
      engineName: name,
      condition: 'update_healthy',
      timeoutMs: deployment.update.healthTimeoutMs,
    };
    const dependents = (waitsFor.get(service.name) ?? []).map((condition): Step => ({
      action: 'waitFor',
      ...base,
      engineName: name,
      condition,
      timeoutMs: deployment.update.healthTimeoutMs,
    }));
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
        {
          action: 'waitFor',
          ...base,
          engineName: next,
          condition: 'update_healthy',
          timeoutMs: deployment.update.healthTimeoutMs,
        },
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
