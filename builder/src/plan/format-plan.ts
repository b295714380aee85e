// The rollout plan as Markdown for a pull-request comment.
import { formatBytes as size } from '../format-bytes.js';
import type { DevicePlan } from './device-changes.js';
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
  lines.push(...rolloutLines(plan));
  return lines.join('\n');
}

type Placed = DevicePlan['rollouts'][number] & { readonly device: string };

/** Each staged rollout: its steps and the devices each step takes, and where it stands now. */
function rolloutLines(plan: RolloutPlan): string[] {
  const placed: Placed[] = plan.devices.flatMap((d) =>
    d.rollouts.map((r) => ({ device: d.device, ...r })),
  );
  const lines: string[] = [];
  for (const name of [...new Set(placed.map((r) => r.deployment))]) {
    const devices = placed.filter((r) => r.deployment === name).sort((a, b) => a.bucket - b.bucket);
    const first = devices[0];
    if (!first) continue;
    const fare = (device: string) => {
      const status = plan.fares?.[device]?.[name];
      return status ? ` (${status})` : '';
    };
    lines.push(
      '',
      `**Staged rollout ${name}**: now at ${first.percent}%${first.paused ? ', **paused**' : ''} (a device takes head when its bucket is below the step's percentage)`,
      '',
    );
    const steps = first.steps ?? [first.percent];
    let from = 0;
    for (const step of steps) {
      const taken = devices.filter((d) => d.bucket >= from && d.bucket < step);
      const now = step === first.percent ? ' (current step)' : '';
      lines.push(
        `- ${step}%${now}: ${taken.map((d) => `${d.device}${fare(d.device)}`).join(', ') || 'no more devices'}`,
      );
      from = step;
    }
  }
  return lines;
}
