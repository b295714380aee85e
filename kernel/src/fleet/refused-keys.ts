// Compose keys Ferry refuses, with the reason a user reads instead of "unknown key". Every other
// key of the Compose specification is deployed with Compose's meaning (docs/fleet-format.md).

/** Service keys, by name. */
export const REFUSED_SERVICE_KEYS: Readonly<Record<string, string>> = {
  extends:
    'not supported: write the shared part once with a YAML anchor and merge it (<<: *common), which Ferry reads',
  external_links:
    "links to containers outside the stack; join a shared network instead (a top-level network with 'external: true')",
  cpu_count: 'Windows containers only',
  cpu_percent: 'Windows containers only',
  credential_spec: 'Windows containers only',
  isolation: 'Windows containers only',
  storage_opt: "depends on the engine's storage driver, which differs between gateways",
  use_api_socket: 'hands the container the Docker socket, which is full control of the device',
  label_file: 'not supported yet: write the labels into the compose file',
  post_start: 'lifecycle hooks need Docker Engine 25 or later, which gateways seldom run',
  pre_stop: 'lifecycle hooks need Docker Engine 25 or later, which gateways seldom run',
  provider: 'a Compose extension for services that are not containers',
  models: 'a Compose extension for AI models',
};

/** `deploy` keys (Swarm's), by name. */
export const REFUSED_DEPLOY_KEYS: Readonly<Record<string, string>> = {
  placement: "Swarm only: fleet.yaml's target chooses the devices",
  update_config:
    "Swarm only: fleet.yaml's update (order, healthTimeout, rollback) sets how updates go",
  rollback_config: "Swarm only: fleet.yaml's update.rollback sets it",
  endpoint_mode: 'Swarm only',
};

/** Top-level keys, by name. */
export const REFUSED_TOP_KEYS: Readonly<Record<string, string>> = {
  include: 'not supported: put the services into this compose file',
  models: 'a Compose extension for AI models',
};

export function refusalOf(parent: readonly (string | number)[], key: string): string | undefined {
  if (parent.length === 0) return REFUSED_TOP_KEYS[key];
  if (parent.length === 2 && parent[0] === 'services') return REFUSED_SERVICE_KEYS[key];
  if (parent.length === 3 && parent[0] === 'services' && parent[2] === 'deploy')
    return REFUSED_DEPLOY_KEYS[key];
  return undefined;
}
