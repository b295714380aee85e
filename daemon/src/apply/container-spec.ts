// A desired service -> the Docker Engine API's container create options (API 1.41).
import type Docker from 'dockerode';
import type { DesiredService } from '#kernel/fleet/desired-state.js';
import { LABEL } from '../plan/labels.js';
import type { ContainerContext } from '../plan/steps.js';
import { hostConfig, type PortBindings } from './host-config.js';

const NS_PER_MS = 1_000_000;

export function containerSpec(
  name: string,
  service: DesiredService,
  context: ContainerContext,
  deployment: string,
): Docker.ContainerCreateOptions {
  const { exposed, bindings } = portSpec(service);
  const [firstNetwork] = service.networks;
  const networkMode = service.networkMode?.startsWith('service:')
    ? `container:${context.containers[service.networkMode.slice('service:'.length)] ?? ''}`
    : (service.networkMode ?? (firstNetwork ? context.networks[firstNetwork] : undefined));
  return {
    name,
    Image: service.image,
    Labels: containerLabels(service, context, deployment),
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
    HostConfig: hostConfig(service, context, networkMode, bindings),
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

/** Ferry's labels (docs/ferryd.md) over the service's own. */
function containerLabels(
  service: DesiredService,
  context: ContainerContext,
  deployment: string,
): Record<string, string> {
  return {
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
}

function portSpec(service: DesiredService): {
  exposed: Record<string, object>;
  bindings: PortBindings;
} {
  const exposed: Record<string, object> = {};
  const bindings: PortBindings = {};
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
  return { exposed, bindings };
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
