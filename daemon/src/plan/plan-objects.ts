// A deployment's networks and volumes: their engine names, which exist already (and are this
// deployment's to adopt), and the steps that create the rest. Pure.
import type { DesiredDeployment } from '#kernel/fleet/desired-state.js';
import type { ManagedObject } from './engine-state.js';
import { engineName, legacyEngineName } from './labels.js';
import type { PlanInput } from './plan-reconcile.js';
import type { Step } from './steps.js';

/** The deployment's networks and volumes: engine names, and steps for those not there yet. */
export function planObjects(
  deployment: DesiredDeployment,
  input: PlanInput,
  runsHere: boolean,
): { steps: Step[]; networks: Record<string, string>; volumes: Record<string, string> } {
  const ns = input.namespace;
  const owner = {
    deployment: deployment.name,
    ...(deployment.tenant === undefined ? {} : { tenant: deployment.tenant }),
  };
  // An external network or volume is used by its name and never created (nor removed) here.
  const place = (
    objects: readonly ManagedObject[],
    object: { name: string; engineName: string; external?: boolean },
  ) =>
    object.external
      ? { name: engineName(ns, object.engineName), exists: true }
      : placeObject(
          objects,
          deployment,
          object.name,
          engineName(ns, object.engineName),
          ns,
          runsHere,
        );
  const steps: Step[] = [];
  const networks: Record<string, string> = {};
  for (const network of deployment.networks) {
    const { name, exists } = place(input.current.networks, network);
    networks[network.name] = name;
    if (!exists) steps.push({ action: 'createNetwork', ...owner, network, engineName: name });
  }
  const volumes: Record<string, string> = {};
  for (const volume of deployment.volumes) {
    const { name, exists } = place(input.current.volumes, volume);
    volumes[volume.name] = name;
    if (!exists) steps.push({ action: 'createVolume', ...owner, volume, engineName: name });
  }
  return { steps, networks, volumes };
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
