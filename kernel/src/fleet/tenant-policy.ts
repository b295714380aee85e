// Tenant policy: what a tenant's containers may ask of the host. A deployment without a tenant
// belongs to the fleet's operators and is not limited; a tenant without a policy entry gets none
// of these privileges.
//
// It is an allow-list: every Compose service key Ferry accepts is listed in SERVICE_KEYS, either as
// harmless (it stays inside the container and the tenant's own networks and volumes) or with the
// check that gates it. test/unit/tenant-policy.test.ts walks compose.schema.json and fails when a
// key is in neither group, so a key added to the schema later cannot slip past.
import { posix } from 'node:path';
import type { ComposeService } from './compose-model.js';
import type { DesiredService } from './desired-state.js';
import type { TenantPolicy } from './fleet-model.js';

export interface PolicyViolation {
  /** Path inside the service, e.g. ['privileged'] or ['volumes', 1]. */
  readonly field: readonly (string | number)[];
  readonly message: string;
}

type Check = (service: DesiredService, policy: TenantPolicy, tenant: string) => PolicyViolation[];

export type KeyRule = { readonly harmless: string } | { readonly gate: Check };

const harmless = (why: string): KeyRule => ({ harmless: why });
const gate = (check: Check): KeyRule => ({ gate: check });

/** Logging drivers that only write on the device, inside the engine's own storage. */
const LOCAL_LOGGING = new Set(['json-file', 'local', 'none']);

/** Every service key of compose.schema.json, and why it may or may not be used by a tenant. */
export const SERVICE_KEYS: Readonly<Record<keyof ComposeService, KeyRule>> = {
  image: harmless('what runs inside the container'),
  build: harmless('used by the builder, never on the device'),
  command: harmless('inside the container'),
  entrypoint: harmless('inside the container'),
  environment: harmless('inside the container'),
  env_file: harmless('read from the repository, inside the container'),
  networks: harmless("only the deployment's own networks exist in a stack"),
  restart: harmless('the engine restarts only this container'),
  healthcheck: harmless('runs inside the container'),
  depends_on: harmless('order within the deployment'),
  cap_drop: harmless('takes privileges away'),
  user: harmless('a user inside the container, limited by its capabilities'),
  working_dir: harmless('inside the container'),
  labels: harmless("Ferry's own label prefix is refused for everyone"),
  mem_limit: harmless('a limit'),
  cpus: harmless('a limit'),
  deploy: harmless('resource limits'),
  stop_grace_period: harmless('how this container stops'),
  stop_signal: harmless('how this container stops'),
  extra_hosts: harmless("entries in the container's own /etc/hosts"),
  tmpfs: harmless("memory charged to the container's own cgroup"),
  read_only: harmless('takes privileges away'),
  privileged: gate((service, policy, tenant) =>
    service.privileged && policy.privileged !== true
      ? [{ field: ['privileged'], message: `tenant '${tenant}' may not run privileged containers` }]
      : [],
  ),
  network_mode: gate(networkMode),
  devices: gate(devices),
  volumes: gate(bindMounts),
  cap_add: gate(capabilities),
  sysctls: gate(sysctls),
  ports: gate(hostPorts),
  logging: gate(logging),
  ulimits: gate(ulimits),
};

/** Keys of a stack's top-level `volumes.NAME` and `networks.NAME`. */
export const STACK_OBJECT_KEYS: Readonly<Record<string, KeyRule>> = {
  driver: harmless('the schema allows only the local volume and bridge network drivers'),
  labels: harmless('metadata'),
  internal: harmless('takes reach away'),
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

function networkMode(service: DesiredService, policy: TenantPolicy, tenant: string) {
  const mode = service.networkMode;
  const allowed =
    mode === undefined ||
    mode === 'none' ||
    mode.startsWith('service:') ||
    (mode === 'host' && policy.hostNetwork === true) ||
    (mode === 'bridge' && policy.bridgeNetwork === true);
  if (allowed) return [];
  const what = mode === 'host' ? 'the host network' : `network_mode '${mode}'`;
  return [{ field: ['network_mode'], message: `tenant '${tenant}' may not use ${what}` }];
}

function devices(service: DesiredService, policy: TenantPolicy, tenant: string) {
  return service.devices.flatMap((device, index) => {
    const hostPath = device.split(':')[0] ?? device;
    return (policy.devices ?? []).includes(hostPath)
      ? []
      : [
          {
            field: ['devices', index],
            message: `tenant '${tenant}' may not use device ${hostPath}`,
          },
        ];
  });
}

function bindMounts(service: DesiredService, policy: TenantPolicy, tenant: string) {
  return service.mounts.flatMap((mount, index) =>
    mount.type !== 'bind' || isAllowedBind(mount.source, policy)
      ? []
      : [
          {
            field: ['volumes', index],
            message: `tenant '${tenant}' may not bind-mount ${mount.source}`,
          },
        ],
  );
}

/** Whether a host path lies in one of the policy's bind folders (as written; see bind-sources.ts). */
export function isAllowedBind(path: string, policy: TenantPolicy): boolean {
  return (policy.bindMounts ?? []).some((folder) => isWithin(path, folder));
}

export function isWithin(path: string, folder: string): boolean {
  // Normalise first: '/srv/acme/../../etc' must not pass as inside /srv/acme.
  path = posix.normalize(path);
  const base = posix.normalize(folder).replace(/\/+$/, '');
  return path === base || path.startsWith(`${base}/`);
}

/** `CAP_NET_ADMIN`, `net_admin` and `NET_ADMIN` name one capability. */
function capabilityName(name: string): string {
  return name.toUpperCase().replace(/^CAP_/, '');
}

function capabilities(service: DesiredService, policy: TenantPolicy, tenant: string) {
  const allowed = new Set((policy.capabilities ?? []).map(capabilityName));
  return service.capAdd.flatMap((cap, index) =>
    allowed.has(capabilityName(cap))
      ? []
      : [
          {
            field: ['cap_add', index],
            message: `tenant '${tenant}' may not add capability ${capabilityName(cap)}`,
          },
        ],
  );
}

function sysctls(service: DesiredService, policy: TenantPolicy, tenant: string) {
  const allowed = (name: string) =>
    (policy.sysctls ?? []).some((entry) =>
      entry.endsWith('.*') ? name.startsWith(entry.slice(0, -1)) : name === entry,
    );
  return Object.keys(service.sysctls).flatMap((name) =>
    allowed(name)
      ? []
      : [{ field: ['sysctls', name], message: `tenant '${tenant}' may not set sysctl ${name}` }],
  );
}

interface PortGrant {
  readonly address: string;
  readonly low: number;
  readonly high: number;
}

/** "127.0.0.1:8000-8099", "0.0.0.0:1883", "[::1]:8080" (the schema checks the shape). */
export function parsePortGrant(text: string): PortGrant {
  const colon = text.lastIndexOf(':');
  const address = text.slice(0, colon).replace(/^\[|\]$/g, '');
  const [low = '', high = low] = text.slice(colon + 1).split('-');
  return { address, low: Number(low), high: Number(high) };
}

function hostPorts(service: DesiredService, policy: TenantPolicy, tenant: string) {
  // With the host network (gated on its own) the engine ignores ports.
  if (service.networkMode === 'host') return [];
  const grants = (policy.ports ?? []).map(parsePortGrant);
  return service.ports.flatMap((port, index) => {
    if (port.published === undefined) {
      // The engine would pick a free host port on every interface: nothing a grant can name.
      return [
        {
          field: ['ports', index],
          message: `tenant '${tenant}' must name the host port (HOST:${port.target})`,
        },
      ];
    }
    // No host_ip: the engine listens on every interface, IPv4 and IPv6.
    const address = port.hostIp ?? '0.0.0.0';
    const granted = grants.some(
      (g) =>
        port.published! >= g.low &&
        port.published! <= g.high &&
        (g.address === address || (g.address === '0.0.0.0' && !address.includes(':'))),
    );
    return granted
      ? []
      : [
          {
            field: ['ports', index],
            message: `tenant '${tenant}' may not publish ${address}:${port.published} on the host`,
          },
        ];
  });
}

function logging(service: DesiredService, policy: TenantPolicy, tenant: string) {
  const driver = service.logging?.driver;
  if (driver === undefined || LOCAL_LOGGING.has(driver)) return [];
  if ((policy.loggingDrivers ?? []).includes(driver)) return [];
  return [
    {
      field: ['logging', 'driver'],
      message: `tenant '${tenant}' may not use the ${driver} logging driver (allowed without a grant: ${[...LOCAL_LOGGING].join(', ')})`,
    },
  ];
}

function ulimits(service: DesiredService, policy: TenantPolicy, tenant: string) {
  return Object.keys(service.ulimits).flatMap((name) =>
    (policy.ulimits ?? []).includes(name)
      ? []
      : [{ field: ['ulimits', name], message: `tenant '${tenant}' may not set ulimit ${name}` }],
  );
}
