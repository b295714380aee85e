// A desired service -> the Docker Engine API's container create options (API 1.41).
import type Docker from 'dockerode';
import type { DesiredService } from '#kernel/fleet/desired-state.js';
import { LABEL } from '../plan/labels.js';
import type { ContainerContext } from '../plan/steps.js';

const NS_PER_MS = 1_000_000;

export function containerSpec(
  name: string,
  service: DesiredService,
  context: ContainerContext,
  deployment: string,
): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostPort: string; HostIp?: string }[]> = {};
  for (const port of service.ports) {
    const key = `${port.target}/${port.protocol}`;
    exposed[key] = {};
    if (port.published !== undefined) {
      bindings[key] = [
        ...(bindings[key] ?? []),
        { HostPort: String(port.published), ...(port.hostIp ? { HostIp: port.hostIp } : {}) },
      ];
    }
  }
  const [firstNetwork] = service.networks;
  const networkMode = service.networkMode?.startsWith('service:')
    ? `container:${context.containers[service.networkMode.slice('service:'.length)] ?? ''}`
    : (service.networkMode ?? (firstNetwork ? context.networks[firstNetwork] : undefined));
  const labels: Record<string, string> = {
    ...service.labels,
    [LABEL.managed]: 'true',
    [LABEL.device]: context.device,
    [LABEL.deployment]: deployment,
    [LABEL.service]: service.name,
    [LABEL.revision]: context.revision ?? '',
    [LABEL.configHash]: service.configHash,
    [LABEL.image]: service.image,
    ...(context.tenant ? { [LABEL.tenant]: context.tenant } : {}),
  };
  return {
    name,
    Image: service.image,
    Labels: labels,
    Env: Object.entries(service.environment).map(([k, v]) => `${k}=${v}`),
    ...(service.command ? { Cmd: [...service.command] } : {}),
    ...(service.entrypoint ? { Entrypoint: [...service.entrypoint] } : {}),
    ...(service.user ? { User: service.user } : {}),
    ...(service.workingDir ? { WorkingDir: service.workingDir } : {}),
    ...(service.stopSignal ? { StopSignal: service.stopSignal } : {}),
    ...(service.stopGracePeriodMs !== undefined
      ? { StopTimeout: Math.ceil(service.stopGracePeriodMs / 1000) }
      : {}),
    ExposedPorts: exposed,
    ...(service.healthcheck ? { Healthcheck: healthcheck(service.healthcheck) } : {}),
    HostConfig: {
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
      ...(service.memLimitBytes !== undefined ? { Memory: service.memLimitBytes } : {}),
      ...(service.cpus !== undefined ? { NanoCpus: Math.round(service.cpus * 1e9) } : {}),
      ...(service.pidsLimit !== undefined ? { PidsLimit: service.pidsLimit } : {}),
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
    },
    ...(firstNetwork && !service.networkMode
      ? {
          NetworkingConfig: {
            EndpointsConfig: {
              [context.networks[firstNetwork] ?? firstNetwork]: { Aliases: [service.name] },
            },
          },
        }
      : {}),
  };
}

/** Networks beyond the first, which the engine (API 1.41) only attaches after create. */
export function extraNetworks(service: DesiredService, context: ContainerContext): string[] {
  if (service.networkMode) return [];
  return service.networks.slice(1).map((n) => context.networks[n] ?? n);
}

function healthcheck(check: NonNullable<DesiredService['healthcheck']>): Docker.HealthConfig {
  return {
    Test: [...check.test],
    ...(check.intervalMs !== undefined ? { Interval: check.intervalMs * NS_PER_MS } : {}),
    ...(check.timeoutMs !== undefined ? { Timeout: check.timeoutMs * NS_PER_MS } : {}),
    ...(check.retries !== undefined ? { Retries: check.retries } : {}),
    ...(check.startPeriodMs !== undefined ? { StartPeriod: check.startPeriodMs * NS_PER_MS } : {}),
  };
}
