// The labels Ferry puts on everything it manages (DESIGN.md section 3), and the names it gives
// them. Ferry never touches a container, network or volume without `ferry.managed=true`.
export const LABEL = {
  managed: 'ferry.managed',
  device: 'ferry.device',
  deployment: 'ferry.deployment',
  service: 'ferry.service',
  revision: 'ferry.revision',
  configHash: 'ferry.config-hash',
  tenant: 'ferry.tenant',
  image: 'ferry.image',
  /** The stack's name of a volume or network (absent on objects made with the earlier '-' names). */
  object: 'ferry.object',
} as const;

// Engine names are `[namespace.]` + desired/scoped-name.ts; see there why they cannot collide.

/** Engine name of a container, network or volume: `[namespace.]name`. */
export function engineName(namespace: string, name: string): string {
  return namespace ? `${namespace}.${name}` : name;
}

/** The name Ferry gave the same object before the dotted names: adopted on upgrade (see plan-reconcile.ts). */
export function legacyEngineName(
  namespace: string,
  tenant: string | undefined,
  deployment: string,
  object: string,
): string {
  return [namespace, tenant, deployment, object].filter(Boolean).join('-');
}

/** Suffix of the new container while a start-first update runs beside the old one. */
export const NEXT_SUFFIX = '.next';
