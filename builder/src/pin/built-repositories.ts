// The repositories the fleet builds: images of services with `build:` in the deployed stacks.
// `ferry build` pins every service naming one of them, built or not (a second service running the
// same image), so `ferry pin` and `ferry validate` leave those to it.
import type { LoadedFleet, LoadedStack } from '#kernel/fleet/fleet-model.js';
import { repositoryKey } from './pin-compose.js';

type Services = Record<string, { image?: unknown; build?: unknown } | null>;

/** Each deployed stack's services, as written. */
export function deployedServices(fleet: LoadedFleet): { stack: LoadedStack; services: Services }[] {
  const out: { stack: LoadedStack; services: Services }[] = [];
  for (const path of [...new Set(fleet.fleet.deployments.map((d) => d.stack))].sort()) {
    const stack = fleet.stacks.get(path);
    if (!stack) continue;
    const services = (stack.yaml.value as { services?: Services }).services ?? {};
    out.push({ stack, services });
  }
  return out;
}

export function builtRepositories(fleet: LoadedFleet): Set<string> {
  const built = new Set<string>();
  for (const { services } of deployedServices(fleet))
    for (const service of Object.values(services))
      if (service?.build !== undefined && typeof service.image === 'string') {
        const key = tryKey(service.image);
        if (key) built.add(key);
      }
  return built;
}

/** `host/repository` of an image as written; undefined for one with ${VARIABLES} or invalid. */
export function tryKey(image: string): string | undefined {
  if (image.includes('$')) return undefined;
  try {
    return repositoryKey(image);
  } catch {
    return undefined;
  }
}
