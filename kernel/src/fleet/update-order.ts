// In which order a service is updated, shared by ferryd (which does it) and `ferry plan` (which
// flags the downtime for review). Pure.
import type { DesiredDeployment, DesiredService } from './desired-state.js';

/**
 * start-first (the default) runs the new container before the old one stops, so a service is
 * never down during an update; but two containers cannot publish the same host port, share the
 * host network's ports, or hold one fixed address, so those fall back to stop-first.
 */
export function updateOrder(
  deployment: DesiredDeployment,
  service: DesiredService,
): { order: 'start-first' | 'stop-first'; why?: string } {
  const stopFirst = (why: string) => ({ order: 'stop-first' as const, why });
  if (deployment.update.order === 'stop-first') return stopFirst('update.order is stop-first');
  if (service.networkMode === 'host') return stopFirst('it uses the host network');
  const published = service.ports.find((p) => p.published !== undefined);
  if (published) return stopFirst(`it publishes host port ${String(published.published)}`);
  // A fixed address or MAC cannot be held by two containers either.
  const fixed = Object.values(service.endpoints ?? {});
  if (service.macAddress) return stopFirst('it has a fixed MAC address');
  if (fixed.some((e) => e.ipv4Address || e.ipv6Address))
    return stopFirst('it has a fixed IP address');
  return { order: 'start-first' };
}
