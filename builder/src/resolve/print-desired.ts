// Human-readable rendering of a device's desired state (`ferry resolve` without --json).
import type { DesiredService, DesiredState } from '#kernel/fleet/desired-state.js';

export function printDesired(state: DesiredState): string {
  const lines: string[] = [];
  const labels = Object.entries(state.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  lines.push(
    `device ${state.device} at ${state.revision ?? 'working tree'}${labels ? ` (${labels})` : ''}`,
  );
  if (state.deployments.length === 0) lines.push('  no deployment targets this device');
  for (const deployment of state.deployments) {
    const tenant = deployment.tenant ? ` tenant ${deployment.tenant}` : '';
    lines.push(`  deployment ${deployment.name}${tenant}: ${deployment.stack}`);
    const { order, healthTimeoutMs, rollback } = deployment.update;
    lines.push(
      `    update ${order}, health timeout ${healthTimeoutMs / 1000}s, rollback ${rollback ? 'on' : 'off'}`,
    );
    if (deployment.rollout) {
      const { percent, bucket, selected } = deployment.rollout;
      const which = selected ? 'takes this revision' : `keeps ${deployment.stackRevision}`;
      lines.push(`    rollout ${percent}%: bucket ${bucket}, ${which}`);
    }
    if (deployment.window)
      lines.push(
        `    window "${deployment.window.cron}" for ${deployment.window.durationMs / 60_000} min`,
      );
    if (deployment.networks.length > 0)
      lines.push(`    networks ${deployment.networks.map((n) => n.engineName).join(', ')}`);
    if (deployment.volumes.length > 0)
      lines.push(`    volumes ${deployment.volumes.map((v) => v.engineName).join(', ')}`);
    for (const service of deployment.services) lines.push(...printService(service));
  }
  return lines.join('\n');
}

function printService(service: DesiredService): string[] {
  const lines = [
    `    service ${service.name} -> container ${service.containerName} (config ${service.configHash.slice(0, 12)})`,
  ];
  lines.push(`      image ${service.image}`);
  const env = Object.entries(service.environment).map(([k, v]) => `${k}=${v}`);
  if (env.length > 0) lines.push(`      env ${env.join(' ')}`);
  if (service.ports.length > 0) {
    lines.push(
      `      ports ${service.ports.map((p) => `${p.published ?? ''}${p.published ? ':' : ''}${p.target}/${p.protocol}`).join(' ')}`,
    );
  }
  if (service.networkMode) lines.push(`      network_mode ${service.networkMode}`);
  if (service.mounts.length > 0)
    lines.push(
      `      mounts ${service.mounts.map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`).join(' ')}`,
    );
  if (service.dependsOn.length > 0)
    lines.push(
      `      depends on ${service.dependsOn.map((d) => `${d.service} (${d.condition})`).join(', ')}`,
    );
  if (service.devices.length > 0) lines.push(`      devices ${service.devices.join(' ')}`);
  return lines;
}
