// Names that must be unique on a device across its deployments: a `container_name`, and the
// `name:` of a network or volume a deployment creates (one it only joins is `external`).
import { formatPath, type Problem } from '../problem.js';
import type { DesiredDeployment } from './desired-state.js';
import type { LoadedFleet } from './fleet-model.js';

interface Claim {
  readonly deployment: DesiredDeployment;
  readonly path: (string | number)[];
}

export function nameClashes(
  fleet: LoadedFleet,
  deployments: readonly DesiredDeployment[],
  device: string,
): Problem[] {
  const claims = new Map<string, Claim[]>();
  const claim = (kind: string, name: string, c: Claim) =>
    claims.set(`${kind} ${name}`, [...(claims.get(`${kind} ${name}`) ?? []), c]);
  for (const deployment of deployments) {
    for (const service of deployment.services)
      if (service.fixedName !== undefined)
        claim('container', service.fixedName, {
          deployment,
          path: ['services', service.name, 'container_name'],
        });
    for (const network of deployment.networks)
      if (!network.external)
        claim('network', network.engineName, { deployment, path: ['networks', network.name] });
    for (const volume of deployment.volumes)
      if (!volume.external)
        claim('volume', volume.engineName, { deployment, path: ['volumes', volume.name] });
  }
  const problems: Problem[] = [];
  for (const [what, holders] of claims) {
    const owners = new Set(holders.map((h) => h.deployment.name));
    if (owners.size < 2) continue;
    for (const { deployment, path } of holders) {
      const yaml = fleet.stacks.get(deployment.stack)?.yaml;
      if (!yaml) continue;
      const others = [...owners].filter((o) => o !== deployment.name).join(', ');
      problems.push({
        file: yaml.file,
        ...yaml.locate(path, true),
        path: formatPath(path),
        device,
        message: `${what} is also claimed by deployment ${others} on this device${what.startsWith('container') ? '' : ' (make one of them external: true to share it)'}`,
      });
    }
  }
  return problems;
}
