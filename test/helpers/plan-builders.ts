// Builders for planner tests: desired services and deployments, and engine containers.
import type {
  DesiredDeployment,
  DesiredService,
  DesiredState,
} from '#kernel/fleet/desired-state.js';
import { scopedName } from '#kernel/fleet/scoped-name.js';
import type { ManagedContainer } from '../../daemon/src/plan/engine-state.js';

export function service(
  name: string,
  more: Partial<DesiredService> = {},
  deployment = 'app',
): DesiredService {
  return {
    name,
    containerName: scopedName(undefined, deployment, name),
    image: `registry.test/${name}@sha256:${'1'.repeat(64)}`,
    environment: {},
    ports: [],
    mounts: [],
    networks: ['default'],
    restart: 'unless-stopped',
    dependsOn: [],
    devices: [],
    privileged: false,
    capAdd: [],
    capDrop: [],
    labels: {},
    extraHosts: [],
    tmpfs: [],
    readOnly: false,
    ulimits: {},
    sysctls: {},
    configHash: `hash-${name}-v1`,
    ...more,
  };
}

export function deployment(
  name: string,
  services: DesiredService[],
  more: Partial<DesiredDeployment> = {},
): DesiredDeployment {
  return {
    name,
    stack: `stacks/${name}`,
    stackRevision: 'rev2',
    update: { order: 'start-first', healthTimeoutMs: 60_000, rollback: true },
    services,
    networks: [
      { name: 'default', engineName: scopedName(undefined, name, 'default'), internal: false },
    ],
    volumes: [],
    ...more,
  };
}

export function desiredState(...deployments: DesiredDeployment[]): DesiredState {
  return { device: 'gw', revision: 'rev2', labels: {}, deployments };
}

/** A running container that matches `svc` as it is now (same config hash). */
export function runningAs(
  svc: DesiredService,
  deploymentName = 'app',
  more: Partial<ManagedContainer> = {},
): ManagedContainer {
  return {
    id: `id-${svc.containerName}`,
    name: svc.containerName,
    deployment: deploymentName,
    service: svc.name,
    configHash: svc.configHash,
    revision: 'rev1',
    image: svc.image,
    state: 'running',
    ...more,
  };
}
