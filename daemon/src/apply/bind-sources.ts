// A tenant's bind mounts, checked where they will be mounted: on the device, after following every
// symlink. The resolver checks the path as written; a tenant container that can write inside its
// folder can plant `/srv/acme/escape -> /`, which passes that check and then mounts the host's
// root. So before a tenant deployment is applied, ferryd resolves each bind source, refuses it when
// the real path leaves the granted folders, and gives the engine the resolved path.
//
// The remaining race: a tenant container that can write in a granted folder can swap a resolved
// directory for a symlink between this check and the engine's mount. docs/security.md says how an
// operator closes it (grant folders tenants cannot write through a running container, or mount
// them read-only).
import { FerryError } from '#kernel/errors.js';
import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Problem } from '#kernel/problem.js';
import type { DesiredDeployment, DesiredState, Mount } from '#kernel/fleet/desired-state.js';
import { isWithin } from '#kernel/fleet/tenant-policy.js';

/** Symlinks followed in one path before it is refused, as Linux does (ELOOP after 40). */
const MAX_LINKS = 40;

/**
 * `path` with every symlink followed, as the host sees it, when the host's `/` is at `root` in
 * ferryd's file system (`/` natively; `/host` when ferryd runs in a container with the host's root
 * mounted there). Node's realpath cannot re-root absolute link targets, hence this walk.
 * A component that does not exist ends the walk: the rest is kept as written.
 */
export async function hostRealPath(path: string, root = '/'): Promise<string> {
  // Not normalised first: like the kernel, 'link/..' is the parent of the link's target.
  const pending = path.split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const here = posix.join(root, ...resolved, part);
    const info = await lstat(here).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (!info) return posix.join('/', ...resolved, part, ...pending);
    if (!info.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    links += 1;
    if (links > MAX_LINKS)
      throw new FerryError('FERRY_INVALID', `too many symlinks in ${path}`, { path });
    const target = await readlink(here);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return posix.join('/', ...resolved);
}

export interface BindCheck {
  readonly state?: DesiredState;
  readonly problems: readonly Problem[];
}

/**
 * The desired state with each tenant bind source replaced by its real path, or why not. Every bind
 * mount of a tenant deployment is checked, also when it was resolved before (a last-known-good
 * version being restored): a folder can have changed since.
 */
export async function resolveBindSources(state: DesiredState, root = '/'): Promise<BindCheck> {
  const problems: Problem[] = [];
  const deployments: DesiredDeployment[] = [];
  for (const deployment of state.deployments) {
    if (deployment.tenant === undefined) {
      deployments.push(deployment);
      continue;
    }
    const granted = deployment.tenantBinds?.folders ?? [];
    const folders = await Promise.all(granted.map((f) => hostRealPath(f, root)));
    const where = (service: string, index: number) =>
      deployment.tenantBinds?.sites.find((s) => s.service === service && s.index === index)?.at ?? {
        file: deployment.stack,
        line: 0,
        col: 0,
        path: `services.${service}.volumes[${index}]`,
      };
    const check = async (service: string, mount: Mount, index: number): Promise<Mount> => {
      if (mount.type !== 'bind' || mount.origin) return mount;
      let path: string;
      try {
        path = await hostRealPath(mount.source, root);
      } catch (error) {
        problems.push({
          ...where(service, index),
          message: `cannot resolve ${mount.source}: ${String(error)}`,
        });
        return mount;
      }
      if (!folders.some((folder) => isWithin(path, folder)))
        problems.push({
          ...where(service, index),
          message: `tenant '${deployment.tenant}' may not bind-mount ${mount.source}: on this device it resolves to ${path}, outside ${granted.join(', ') || 'any granted folder'}`,
        });
      return { ...mount, source: path };
    };
    const services = [];
    for (const service of deployment.services) {
      const mounts = [];
      for (const [index, mount] of service.mounts.entries())
        mounts.push(await check(service.name, mount, index));
      services.push({ ...service, mounts });
    }
    deployments.push({ ...deployment, services });
  }
  return problems.length > 0 ? { problems } : { state: { ...state, deployments }, problems };
}
