// The checks behind tenant-policy.ts: each takes a resolved service and the tenant's policy and
// returns the ways the service asks for more than the policy grants.
import { posix } from 'node:path';
import type { DesiredService } from './desired-state.js';
import type { TenantPolicy } from './fleet-model.js';

export interface PolicyViolation {
  /** Path inside the service, e.g. ['privileged'] or ['volumes', 1]. */
  readonly field: readonly (string | number)[];
  readonly message: string;
}

type Check = (service: DesiredService, policy: TenantPolicy, tenant: string) => PolicyViolation[];

/** Logging drivers that only write on the device, inside the engine's own storage. */
const LOCAL_LOGGING = new Set(['json-file', 'local', 'none']);

/** security_opt entries that only take privileges away. */
const NARROWING_SECURITY_OPT = /^no-new-privileges([:=]true)?$/;

const refused = (field: (string | number)[], message: string): PolicyViolation[] => [
  { field, message },
];

export const privileged: Check = (service, policy, tenant) =>
  service.privileged && policy.privileged !== true
    ? refused(['privileged'], `tenant '${tenant}' may not run privileged containers`)
    : [];

/** A namespace shared with the host needs a grant; one of a container outside Ferry, never. */
export function namespace(kind: 'pid' | 'ipc' | 'uts' | 'userns' | 'cgroup', field: string): Check {
  return (service, policy, tenant) => {
    const mode = service.namespaces?.[kind];
    if (mode === undefined || mode === 'private' || mode === 'shareable' || mode === 'none')
      return [];
    if (mode.startsWith('service:')) return [];
    if (mode.startsWith('container:'))
      return refused([field], `tenant '${tenant}' may not join container ${mode.slice(10)}`);
    return (policy.hostNamespaces ?? []).includes(kind)
      ? []
      : refused([field], `tenant '${tenant}' may not share the host's ${kind} namespace`);
  };
}

export const securityOpt: Check = (service, policy, tenant) =>
  (service.securityOpt ?? []).flatMap((option, index) =>
    NARROWING_SECURITY_OPT.test(option) || (policy.securityOpt ?? []).includes(option)
      ? []
      : refused(['security_opt', index], `tenant '${tenant}' may not set security_opt ${option}`),
  );

export const runtime: Check = (service, policy, tenant) =>
  service.runtime === undefined || (policy.runtimes ?? []).includes(service.runtime)
    ? []
    : refused(['runtime'], `tenant '${tenant}' may not use the ${service.runtime} runtime`);

export function deviceRequests(field: 'gpus' | 'deploy'): Check {
  return (service, policy, tenant) =>
    !(service.deviceRequests ?? []).some((r) => r.from === field) || policy.gpus === true
      ? []
      : refused([field], `tenant '${tenant}' may not be handed devices by driver (GPUs)`);
}

export const deviceCgroupRules: Check = (service, policy, tenant) =>
  (service.deviceCgroupRules ?? []).length === 0 || policy.deviceCgroupRules === true
    ? []
    : refused(['device_cgroup_rules'], `tenant '${tenant}' may not add device cgroup rules`);

export const cgroupParent: Check = (service, policy, tenant) =>
  service.cgroupParent === undefined || policy.cgroupParent === true
    ? []
    : refused(['cgroup_parent'], `tenant '${tenant}' may not choose a cgroup parent`);

export function oomProtection(field: 'oom_kill_disable' | 'oom_score_adj'): Check {
  return (service, policy, tenant) => {
    const limits = service.limits;
    const asks =
      field === 'oom_kill_disable'
        ? limits?.oomKillDisable === true
        : (limits?.oomScoreAdj ?? 0) < 0;
    return !asks || policy.oomProtection === true
      ? []
      : refused([field], `tenant '${tenant}' may not shield a container from the OOM killer`);
  };
}

export const volumesFrom: Check = (service, _policy, tenant) =>
  (service.volumesFrom ?? []).flatMap((entry, index) =>
    entry.startsWith('container:')
      ? refused(['volumes_from', index], `tenant '${tenant}' may not mount volumes of ${entry}`)
      : [],
  );

export function networkMode(service: DesiredService, policy: TenantPolicy, tenant: string) {
  const mode = service.networkMode;
  const allowed =
    mode === undefined ||
    mode === 'none' ||
    mode.startsWith('service:') ||
    (mode === 'host' && policy.hostNetwork === true) ||
    (mode === 'bridge' && policy.bridgeNetwork === true);
  if (allowed) return [];
  const what =
    mode === 'host'
      ? 'the host network'
      : mode.startsWith('container:')
        ? `the network of container ${mode.slice('container:'.length)}`
        : `network_mode '${mode}'`;
  return [{ field: ['network_mode'], message: `tenant '${tenant}' may not use ${what}` }];
}

export function devices(service: DesiredService, policy: TenantPolicy, tenant: string) {
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

export function bindMounts(service: DesiredService, policy: TenantPolicy, tenant: string) {
  return service.mounts.flatMap((mount, index) =>
    mount.type !== 'bind' || mount.origin !== undefined || isAllowedBind(mount.source, policy)
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

export function capabilities(service: DesiredService, policy: TenantPolicy, tenant: string) {
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

export function sysctls(service: DesiredService, policy: TenantPolicy, tenant: string) {
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

export function hostPorts(service: DesiredService, policy: TenantPolicy, tenant: string) {
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
    const last = port.publishedTo ?? port.published;
    const granted = grants.some(
      (g) =>
        port.published! >= g.low &&
        last <= g.high &&
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

export function logging(service: DesiredService, policy: TenantPolicy, tenant: string) {
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

export function ulimits(service: DesiredService, policy: TenantPolicy, tenant: string) {
  return Object.keys(service.ulimits).flatMap((name) =>
    (policy.ulimits ?? []).includes(name)
      ? []
      : [{ field: ['ulimits', name], message: `tenant '${tenant}' may not set ulimit ${name}` }],
  );
}
