// Tenant policy: what a tenant's containers may ask of the host. A deployment without a tenant
// belongs to the fleet's operators and is not limited; a tenant without a policy entry gets none
// of these privileges.
import { posix } from 'node:path';
import type { DesiredService } from './desired-state.js';
import type { TenantPolicy } from './fleet-model.js';

export interface PolicyViolation {
  /** Path inside the service, e.g. ['privileged'] or ['volumes', 1]. */
  readonly field: readonly (string | number)[];
  readonly message: string;
}

/** Every way `service` exceeds what `tenant` is allowed. */
export function policyViolations(
  tenant: string,
  policy: TenantPolicy,
  service: DesiredService,
): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  if (service.privileged && policy.privileged !== true) {
    violations.push({
      field: ['privileged'],
      message: `tenant '${tenant}' may not run privileged containers`,
    });
  }
  if (service.networkMode === 'host' && policy.hostNetwork !== true) {
    violations.push({
      field: ['network_mode'],
      message: `tenant '${tenant}' may not use the host network`,
    });
  }
  for (const [index, device] of service.devices.entries()) {
    const hostPath = device.split(':')[0] ?? device;
    if (!(policy.devices ?? []).includes(hostPath)) {
      violations.push({
        field: ['devices', index],
        message: `tenant '${tenant}' may not use device ${hostPath}`,
      });
    }
  }
  for (const [index, mount] of service.mounts.entries()) {
    if (
      mount.type === 'bind' &&
      !(policy.bindMounts ?? []).some((allowed) => isWithin(mount.source, allowed))
    ) {
      violations.push({
        field: ['volumes', index],
        message: `tenant '${tenant}' may not bind-mount ${mount.source}`,
      });
    }
  }
  return violations;
}

function isWithin(path: string, folder: string): boolean {
  // Normalise first: '/srv/acme/../../etc' must not pass as inside /srv/acme.
  path = posix.normalize(path);
  const base = folder.replace(/\/+$/, '');
  return path === base || path.startsWith(`${base}/`);
}
