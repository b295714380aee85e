// The labels Ferry puts on everything it manages (DESIGN.md section 3). Ferry never touches a
// container, network or volume without `ferry.managed=true`.
export const LABEL = {
  managed: 'ferry.managed',
  device: 'ferry.device',
  deployment: 'ferry.deployment',
  service: 'ferry.service',
  revision: 'ferry.revision',
  configHash: 'ferry.config-hash',
  tenant: 'ferry.tenant',
  image: 'ferry.image',
} as const;

/** Engine name of a container, network or volume: `[namespace-]name`. */
export function engineName(namespace: string, name: string): string {
  return namespace ? `${namespace}-${name}` : name;
}
