// Start order of a deployment's services, from depends_on and network_mode service:.
import { FerryError } from '../errors.js';
import type { DesiredService } from './desired-state.js';

/**
 * Services in start order: every service after the services it depends on (depends_on and
 * network_mode service:), ties broken by name so plans are stable. Throws on a cycle, naming it.
 */
export function dependencyOrder(services: readonly DesiredService[]): DesiredService[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const ordered: DesiredService[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (service: DesiredService, path: string[]): void => {
    const seen = state.get(service.name);
    if (seen === 'done') return;
    if (seen === 'visiting')
      throw new FerryError(
        'FERRY_INVALID',
        `dependency cycle: ${[...path, service.name].join(' -> ')}`,
      );
    state.set(service.name, 'visiting');
    for (const name of prerequisites(service).sort()) {
      const dependency = byName.get(name);
      if (dependency) visit(dependency, [...path, service.name]);
    }
    state.set(service.name, 'done');
    ordered.push(service);
  };
  for (const service of [...services].sort((a, b) => a.name.localeCompare(b.name)))
    visit(service, []);
  return ordered;
}

function prerequisites(service: DesiredService): string[] {
  const names = service.dependsOn.map((d) => d.service);
  if (service.networkMode?.startsWith('service:'))
    names.push(service.networkMode.slice('service:'.length));
  return names;
}
