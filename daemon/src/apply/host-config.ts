// A desired service's HostConfig (API 1.41): restart, ports, mounts, devices, privileges,
// namespaces, limits, logging. What the engine enforces on the host, so every field here passed
// the tenant policy.
import type Docker from 'dockerode';
import type { DesiredService } from '#kernel/fleet/desired-state.js';
import type { ContainerContext } from '../plan/steps.js';
import { mountsOf } from './container-mounts.js';

export type PortBindings = Record<string, { HostPort: string; HostIp?: string }[]>;

export function hostConfig(
  service: DesiredService,
  context: ContainerContext,
  networkMode: string | undefined,
  bindings: PortBindings,
): Docker.HostConfig {
  return {
    RestartPolicy: {
      Name: service.restart === 'no' ? '' : service.restart,
      ...(service.restartMaxRetries !== undefined
        ? { MaximumRetryCount: service.restartMaxRetries }
        : {}),
    },
    PortBindings: bindings,
    ...mountsOf(service, context),
    ...(networkMode ? { NetworkMode: networkMode } : {}),
    Devices: service.devices.map((spec) => {
      const [host = '', inside = host, permissions = 'rwm'] = spec.split(':');
      return { PathOnHost: host, PathInContainer: inside, CgroupPermissions: permissions };
    }),
    Privileged: service.privileged,
    CapAdd: [...service.capAdd],
    CapDrop: [...service.capDrop],
    ...limits(service),
    ...namespaces(service, context),
    ...processSettings(service, context),
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

/** `service:NAME` -> `container:ENGINE_NAME` of that service in this deployment. */
function engineMode(mode: string | undefined, context: ContainerContext): string | undefined {
  if (!mode?.startsWith('service:')) return mode;
  return `container:${context.containers[mode.slice('service:'.length)] ?? ''}`;
}

function namespaces(service: DesiredService, context: ContainerContext): Docker.HostConfig {
  const ns = service.namespaces;
  if (!ns) return {};
  return {
    ...(ns.pid ? { PidMode: engineMode(ns.pid, context) } : {}),
    ...(ns.ipc ? { IpcMode: engineMode(ns.ipc, context) } : {}),
    ...(ns.uts ? { UTSMode: ns.uts } : {}),
    ...(ns.userns ? { UsernsMode: ns.userns } : {}),
    ...(ns.cgroup ? { CgroupnsMode: ns.cgroup } : {}),
  };
}

function processSettings(service: DesiredService, context: ContainerContext): Docker.HostConfig {
  const volumesFrom = service.volumesFrom?.map((entry) => {
    if (entry.startsWith('container:')) return entry.slice('container:'.length);
    const [name = '', mode] = entry.slice('service:'.length).split(':');
    return `${context.containers[name] ?? name}${mode ? `:${mode}` : ''}`;
  });
  const requests = service.deviceRequests?.map((r) => ({
    Driver: r.driver ?? '',
    Count: r.count ?? (r.deviceIds ? 0 : -1),
    DeviceIDs: [...(r.deviceIds ?? [])],
    Capabilities: [[...r.capabilities]],
    Options: { ...r.options },
  }));
  return {
    ...(service.securityOpt ? { SecurityOpt: [...service.securityOpt] } : {}),
    ...(service.groupAdd ? { GroupAdd: [...service.groupAdd] } : {}),
    ...(service.init !== undefined ? { Init: service.init } : {}),
    ...(service.runtime ? { Runtime: service.runtime } : {}),
    ...(service.cgroupParent ? { CgroupParent: service.cgroupParent } : {}),
    ...(service.deviceCgroupRules ? { DeviceCgroupRules: [...service.deviceCgroupRules] } : {}),
    ...(requests ? { DeviceRequests: requests } : {}),
    ...(service.dns ? { Dns: [...service.dns] } : {}),
    ...(service.dnsOptions ? { DnsOptions: [...service.dnsOptions] } : {}),
    ...(service.dnsSearch ? { DnsSearch: [...service.dnsSearch] } : {}),
    ...(volumesFrom ? { VolumesFrom: volumesFrom } : {}),
    // Engines before 24.0 (API 1.43) ignore annotations; docs/fleet-format.md says so.
    ...(service.annotations ? ({ Annotations: { ...service.annotations } } as object) : {}),
  };
}

function limits(service: DesiredService): Docker.HostConfig {
  const l = service.limits ?? {};
  const blkio = (list?: readonly { path: string; rate: number }[]) =>
    list?.map((d) => ({ Path: d.path, Rate: d.rate }));
  return {
    ...(service.memLimitBytes !== undefined ? { Memory: service.memLimitBytes } : {}),
    ...(service.cpus !== undefined ? { NanoCpus: Math.round(service.cpus * 1e9) } : {}),
    ...(service.pidsLimit !== undefined ? { PidsLimit: service.pidsLimit } : {}),
    ...(l.memReservationBytes !== undefined ? { MemoryReservation: l.memReservationBytes } : {}),
    ...(l.memSwappiness !== undefined ? { MemorySwappiness: l.memSwappiness } : {}),
    ...(l.memswapLimitBytes !== undefined ? { MemorySwap: l.memswapLimitBytes } : {}),
    ...(l.cpuShares !== undefined ? { CpuShares: l.cpuShares } : {}),
    ...(l.cpuQuota !== undefined ? { CpuQuota: l.cpuQuota } : {}),
    ...(l.cpuPeriod !== undefined ? { CpuPeriod: l.cpuPeriod } : {}),
    ...(l.cpuRtPeriod !== undefined ? { CpuRealtimePeriod: l.cpuRtPeriod } : {}),
    ...(l.cpuRtRuntime !== undefined ? { CpuRealtimeRuntime: l.cpuRtRuntime } : {}),
    ...(l.cpuset !== undefined ? { CpusetCpus: l.cpuset } : {}),
    ...(l.shmSizeBytes !== undefined ? { ShmSize: l.shmSizeBytes } : {}),
    ...(l.oomKillDisable !== undefined ? { OomKillDisable: l.oomKillDisable } : {}),
    ...(l.oomScoreAdj !== undefined ? { OomScoreAdj: l.oomScoreAdj } : {}),
    ...(l.blkioWeight !== undefined ? { BlkioWeight: l.blkioWeight } : {}),
    ...(l.blkioWeightDevice
      ? { BlkioWeightDevice: l.blkioWeightDevice.map((d) => ({ Path: d.path, Weight: d.weight })) }
      : {}),
    ...(l.blkioDeviceReadBps ? { BlkioDeviceReadBps: blkio(l.blkioDeviceReadBps) } : {}),
    ...(l.blkioDeviceWriteBps ? { BlkioDeviceWriteBps: blkio(l.blkioDeviceWriteBps) } : {}),
    ...(l.blkioDeviceReadIOps ? { BlkioDeviceReadIOps: blkio(l.blkioDeviceReadIOps) } : {}),
    ...(l.blkioDeviceWriteIOps ? { BlkioDeviceWriteIOps: blkio(l.blkioDeviceWriteIOps) } : {}),
  };
}
