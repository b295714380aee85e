// A desired service's HostConfig (API 1.41): restart, ports, mounts, devices, privileges, limits,
// logging. What the engine enforces on the host, so every field here passed the tenant policy.
import type Docker from 'dockerode';
import type { DesiredService } from '#kernel/fleet/desired-state.js';
import type { ContainerContext } from '../plan/steps.js';

export type PortBindings = Record<string, { HostPort: string; HostIp?: string }[]>;

export function hostConfig(
  service: DesiredService,
  context: ContainerContext,
  networkMode: string | undefined,
  bindings: PortBindings,
): Docker.HostConfig {
  return {
    RestartPolicy: { Name: service.restart === 'no' ? '' : service.restart },
    PortBindings: bindings,
    Mounts: service.mounts.map((m) => ({
      Type: m.type,
      Source: m.type === 'volume' ? (context.volumes[m.source] ?? m.source) : m.source,
      Target: m.target,
      ReadOnly: m.readOnly,
    })),
    ...(networkMode ? { NetworkMode: networkMode } : {}),
    Devices: service.devices.map((spec) => {
      const [host = '', inside = host, permissions = 'rwm'] = spec.split(':');
      return { PathOnHost: host, PathInContainer: inside, CgroupPermissions: permissions };
    }),
    Privileged: service.privileged,
    CapAdd: [...service.capAdd],
    CapDrop: [...service.capDrop],
    ...limits(service),
    ExtraHosts: [...service.extraHosts],
    Tmpfs: Object.fromEntries(
      service.tmpfs.map((t) => [t.split(':')[0] ?? t, t.split(':')[1] ?? '']),
    ),
    ReadonlyRootfs: service.readOnly,
    Ulimits: Object.entries(service.ulimits).map(([Name, l]) => ({
      Name,
      Soft: l.soft,
      Hard: l.hard,
    })),
    Sysctls: { ...service.sysctls },
    ...(service.logging
      ? { LogConfig: { Type: service.logging.driver, Config: { ...service.logging.options } } }
      : {}),
  };
}

function limits(service: DesiredService): Docker.HostConfig {
  return {
    ...(service.memLimitBytes !== undefined ? { Memory: service.memLimitBytes } : {}),
    ...(service.cpus !== undefined ? { NanoCpus: Math.round(service.cpus * 1e9) } : {}),
    ...(service.pidsLimit !== undefined ? { PidsLimit: service.pidsLimit } : {}),
  };
}
