// Tenant policy: what a tenant's containers may ask of the host. A deployment without a tenant
// belongs to the fleet's operators and is not limited; a tenant without a policy entry gets none
// of these privileges.
//
// It is an allow-list: every Compose service key Ferry accepts is listed in SERVICE_KEYS, either as
// harmless (it stays inside the container and the tenant's own networks and volumes) or with the
// check that gates it. test/unit/tenant-policy.test.ts walks compose.schema.json and fails when a
// key is in neither group, so a key added to the schema later cannot slip past.
import type { ComposeService } from './compose-model.js';
import type { DesiredNetwork, DesiredService, DesiredVolume } from './desired-state.js';
import type { TenantPolicy } from './fleet-model.js';
import {
  bindMounts,
  capabilities,
  cgroupParent,
  deviceCgroupRules,
  deviceRequests,
  devices,
  hostPorts,
  logging,
  namespace,
  networkMode,
  oomProtection,
  privileged,
  runtime,
  securityOpt,
  sysctls,
  ulimits,
  volumesFrom,
  type PolicyViolation,
} from './tenant-gates.js';

export { isAllowedBind, isWithin, parsePortGrant, type PolicyViolation } from './tenant-gates.js';
import { isAllowedBind } from './tenant-gates.js';

type Check = (service: DesiredService, policy: TenantPolicy, tenant: string) => PolicyViolation[];

export type KeyRule = { readonly harmless: string } | { readonly gate: Check };

const harmless = (why: string): KeyRule => ({ harmless: why });
const gate = (check: Check): KeyRule => ({ gate: check });

/** Every service key of compose.schema.json, and why it may or may not be used by a tenant. */
export const SERVICE_KEYS: Readonly<Record<keyof ComposeService, KeyRule>> = {
  image: harmless('what runs inside the container'),
  build: harmless('used by the builder, never on the device'),
  annotations: harmless('metadata for the runtime'),
  attach: harmless('a setting of `docker compose up`: ferryd attaches to no output'),
  blkio_config: harmless('limits on the container itself'),
  command: harmless('inside the container'),
  configs: harmless("files of the deployment's own stack"),
  container_name: harmless("a tenant's names are prefixed with the tenant"),
  cpu_shares: harmless('a limit'),
  cpu_quota: harmless('a limit'),
  cpu_period: harmless('a limit'),
  cpu_rt_period: harmless('a limit'),
  cpu_rt_runtime: harmless('a limit'),
  cpus: harmless('a limit'),
  cpuset: harmless('a limit'),
  entrypoint: harmless('inside the container'),
  environment: harmless('inside the container'),
  env_file: harmless('read from the repository, inside the container'),
  expose: harmless('metadata: publishes nothing'),
  networks: harmless("a stack's own networks; external ones are gated where they are declared"),
  restart: harmless('the engine restarts only this container'),
  healthcheck: harmless('runs inside the container'),
  hostname: harmless("the container's own name in its UTS namespace"),
  domainname: harmless("the container's own name in its UTS namespace"),
  depends_on: harmless('order within the deployment'),
  develop: harmless('a setting of `docker compose watch`: no effect on a device'),
  dns: harmless("the container's own resolver"),
  dns_opt: harmless("the container's own resolver"),
  dns_search: harmless("the container's own resolver"),
  cap_drop: harmless('takes privileges away'),
  user: harmless('a user inside the container, limited by its capabilities'),
  group_add: harmless('groups inside the container, limited by what it can reach'),
  init: harmless('a minimal init inside the container'),
  stdin_open: harmless('a terminal setting of the container'),
  tty: harmless('a terminal setting of the container'),
  working_dir: harmless('inside the container'),
  labels: harmless("Ferry's own label prefix is refused for everyone"),
  links: harmless('aliases between services of the deployment'),
  mac_address: harmless("the container's own interface"),
  mem_limit: harmless('a limit'),
  mem_reservation: harmless('a limit'),
  mem_swappiness: harmless('a limit'),
  memswap_limit: harmless('a limit'),
  pids_limit: harmless('a limit'),
  platform: harmless('which image variant runs'),
  profiles: harmless('which services of the deployment run'),
  pull_policy: harmless('when the image is fetched'),
  scale: harmless('one container, as without it'),
  secrets: harmless(
    'secrets of the stack; a secret file on the device is gated where it is declared',
  ),
  shm_size: harmless("memory charged to the container's own cgroup"),
  stop_grace_period: harmless('how this container stops'),
  stop_signal: harmless('how this container stops'),
  extra_hosts: harmless("entries in the container's own /etc/hosts"),
  tmpfs: harmless("memory charged to the container's own cgroup"),
  read_only: harmless('takes privileges away'),
  privileged: gate(privileged),
  network_mode: gate(networkMode),
  devices: gate(devices),
  volumes: gate(bindMounts),
  volumes_from: gate(volumesFrom),
  cap_add: gate(capabilities),
  sysctls: gate(sysctls),
  ports: gate(hostPorts),
  logging: gate(logging),
  ulimits: gate(ulimits),
  pid: gate(namespace('pid', 'pid')),
  ipc: gate(namespace('ipc', 'ipc')),
  uts: gate(namespace('uts', 'uts')),
  userns_mode: gate(namespace('userns', 'userns_mode')),
  cgroup: gate(namespace('cgroup', 'cgroup')),
  security_opt: gate(securityOpt),
  runtime: gate(runtime),
  gpus: gate(deviceRequests('gpus')),
  deploy: gate(deviceRequests('deploy')),
  device_cgroup_rules: gate(deviceCgroupRules),
  cgroup_parent: gate(cgroupParent),
  oom_kill_disable: gate(oomProtection('oom_kill_disable')),
  oom_score_adj: gate(oomProtection('oom_score_adj')),
};

/** Keys of a stack's top-level `networks.NAME`, `volumes.NAME`, `configs.NAME`, `secrets.NAME`. */
export const STACK_OBJECT_KEYS: Readonly<Record<string, string>> = {
  name: "a tenant's names are prefixed with the tenant",
  driver: 'gated: bridge and local need no grant (stackViolations)',
  driver_opts: 'gated: a local volume bound to a host path is a bind mount (stackViolations)',
  external: 'gated: joining what another made needs a grant (stackViolations)',
  labels: 'metadata',
  internal: 'takes reach away',
  attachable: 'no effect without Swarm',
  enable_ipv6: "the network's own addresses",
  ipam: "the network's own addresses",
  file: 'configs: a repository file; secrets: a device file, gated as a bind mount',
  content: 'inline text of the stack',
  environment: "a variable of the device's own file",
};

/** Every way `service` exceeds what `tenant` is allowed. */
export function policyViolations(
  tenant: string,
  policy: TenantPolicy,
  service: DesiredService,
): PolicyViolation[] {
  return Object.values(SERVICE_KEYS).flatMap((rule) =>
    'gate' in rule ? rule.gate(service, policy, tenant) : [],
  );
}

/** Top-level networks and volumes of a tenant's stack that need a grant. */
export function stackViolations(
  tenant: string,
  policy: TenantPolicy,
  networks: readonly DesiredNetwork[],
  volumes: readonly DesiredVolume[],
): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  for (const network of networks) {
    const at = ['networks', network.name];
    if (network.external && !(policy.externalNetworks ?? []).includes(network.engineName))
      out.push({
        field: [...at, 'external'],
        message: `tenant '${tenant}' may not join network ${network.engineName}`,
      });
    const driver = network.driver ?? 'bridge';
    if (driver !== 'bridge' && !(policy.networkDrivers ?? []).includes(driver))
      out.push({
        field: [...at, 'driver'],
        message: `tenant '${tenant}' may not use the ${driver} network driver`,
      });
  }
  for (const volume of volumes) {
    const at = ['volumes', volume.name];
    if (volume.external && !(policy.externalVolumes ?? []).includes(volume.engineName))
      out.push({
        field: [...at, 'external'],
        message: `tenant '${tenant}' may not mount volume ${volume.engineName}`,
      });
    const driver = volume.driver ?? 'local';
    if (driver !== 'local')
      out.push({
        field: [...at, 'driver'],
        message: `tenant '${tenant}' may not use the ${driver} volume driver (plugins run as root on the host)`,
      });
    const device = volume.driverOpts?.device;
    if (
      device !== undefined &&
      /\bbind\b/.test(volume.driverOpts?.o ?? '') &&
      !isAllowedBind(device, policy)
    )
      out.push({
        field: [...at, 'driver_opts', 'device'],
        message: `tenant '${tenant}' may not bind-mount ${device}`,
      });
  }
  return out;
}
