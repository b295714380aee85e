// A service's volumes as the engine takes them. Binds that Compose would create when missing, or
// that need SELinux relabelling, go as `Binds` strings (the engine creates their folders, as for
// `docker run -v`); everything else as `Mounts`, whose bind sources must exist.
import type Docker from 'dockerode';
import type { DesiredService, Mount } from '#kernel/fleet/desired-state.js';
import type { ContainerContext } from '../plan/steps.js';

export function mountsOf(
  service: DesiredService,
  context: ContainerContext,
): Pick<Docker.HostConfig, 'Binds' | 'Mounts'> {
  const asBind = (m: Mount) =>
    m.type === 'bind' && (m.createHostPath !== false || m.selinux !== undefined);
  const binds = service.mounts.filter(asBind).map(bindString);
  return {
    ...(binds.length > 0 ? { Binds: binds } : {}),
    Mounts: service.mounts.filter((m) => !asBind(m)).map((m) => mountOf(m, context)),
  };
}

function bindString(mount: Mount): string {
  const options = [
    mount.readOnly ? 'ro' : 'rw',
    ...(mount.selinux ? [mount.selinux] : []),
    ...(mount.propagation ? [mount.propagation] : []),
  ];
  return `${mount.source}:${mount.target}:${options.join(',')}`;
}

function mountOf(m: Mount, context: ContainerContext): Docker.MountSettings {
  const base: Docker.MountSettings = {
    Type: m.type,
    Source: m.type === 'volume' ? (context.volumes[m.source] ?? m.source) : m.source,
    Target: m.target,
    ReadOnly: m.readOnly,
  };
  if (m.type === 'bind' && m.propagation)
    return { ...base, BindOptions: { Propagation: m.propagation } };
  if (m.type === 'volume' && (m.noCopy || m.subpath))
    return {
      ...base,
      // Subpath needs Engine 26 (API 1.45); older engines refuse the mount, so it is not silent.
      VolumeOptions: {
        ...(m.noCopy ? { NoCopy: true } : {}),
        ...(m.subpath ? { Subpath: m.subpath } : {}),
      } as Docker.MountSettings['VolumeOptions'],
    };
  if (m.type === 'tmpfs' && (m.tmpfsSizeBytes !== undefined || m.tmpfsMode !== undefined))
    return {
      ...base,
      // dockerode's type wants both; the engine takes either alone.
      TmpfsOptions: {
        ...(m.tmpfsSizeBytes !== undefined ? { SizeBytes: m.tmpfsSizeBytes } : {}),
        ...(m.tmpfsMode !== undefined ? { Mode: m.tmpfsMode } : {}),
      } as NonNullable<Docker.MountSettings['TmpfsOptions']>,
    };
  return base;
}
