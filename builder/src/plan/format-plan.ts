// The rollout plan as Markdown for a pull-request comment.
import { formatBytes as size } from '../format-bytes.js';
import type { RolloutPlan } from './plan-rollout.js';

export function planMarkdown(plan: RolloutPlan): string {
  const lines = [
    `### Ferry rollout plan: \`${plan.base.slice(0, 8)}\` → \`${plan.head.slice(0, 8)}\``,
    '',
    '| device | changes | download |',
    '| --- | --- | ---: |',
  ];
  for (const device of plan.devices) {
    const changes =
      device.changes.map((c) => `${c.change} ${c.deployment}/${c.service}`).join(', ') || 'none';
    // Planned from what the hub says the device runs: which revision(s) that is.
    const runs = [...new Set(Object.values(device.applied ?? {}).filter((r) => r !== null))];
    const from =
      device.from === 'hub' && runs.length > 0
        ? ` (runs ${runs.map((r) => `\`${r.slice(0, 8)}\``).join(', ')})`
        : '';
    lines.push(
      `| ${device.device}${from} | ${changes} | ${size(device.downloadBytes)}${device.layers ? ` (${device.layers} layer${device.layers === 1 ? '' : 's'})` : ''} |`,
    );
  }
  lines.push(
    '',
    `**Fleet:** ${plan.totals.devicesChanging} of ${plan.devices.length} devices change; ${size(plan.totals.downloadBytes)} to download in all.`,
  );
  const fromHub = plan.devices.filter((d) => d.from === 'hub').length;
  if (plan.devices.some((d) => d.applied !== undefined))
    lines.push(
      '',
      `Planned from what the hub says each device runs: ${fromHub} of ${plan.devices.length} devices; the others from \`${plan.base.slice(0, 8)}\`.`,
    );
  const rollouts = plan.devices.flatMap((d) => d.rollouts.map((r) => ({ device: d.device, ...r })));
  if (rollouts.length > 0) {
    lines.push(
      '',
      '**Staged rollouts** (a device takes head when its bucket is below the percentage):',
      '',
    );
    for (const r of rollouts)
      lines.push(
        `- ${r.deployment} ${r.percent}%: ${r.device} (bucket ${r.bucket}) ${r.selected ? 'takes head' : 'keeps previous'}`,
      );
  }
  return lines.join('\n');
}
