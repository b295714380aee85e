// The rollout plan as Markdown for a pull-request comment.
import { formatBytes as size } from '../format-bytes.js';
import type { Problem } from '#kernel/problem.js';
import { formatProblem } from '#kernel/problem.js';
import type { DevicePlan } from './device-changes.js';
import type { RolloutPlan } from './plan-rollout.js';

/** The first line of every plan comment: how a CI job finds its own comment to update it. */
export const PLAN_MARKER = '<!-- ferry-plan -->';

/** Devices shown by name in a group's row; the JSON plan has every one. */
const NAMED_PER_GROUP = 5;

function changeText(change: DevicePlan['changes'][number]): string {
  const why = change.why?.length ? ` (${change.why.join(', ')})` : '';
  const downtime = change.downtime ? ` **downtime**: ${change.downtime}` : '';
  return `${change.change} ${change.deployment}/${change.service}${why}${downtime}`;
}

function rowOf(device: DevicePlan & { from?: string; applied?: Record<string, string | null> }) {
  // Planned from what the hub says the device runs: which revision(s) that is.
  const runs = [...new Set(Object.values(device.applied ?? {}).filter((r) => r !== null))];
  const from =
    device.from === 'hub' && runs.length > 0
      ? ` (runs ${runs.map((r) => `\`${r.slice(0, 8)}\``).join(', ')})`
      : '';
  const changes = device.changes.map(changeText).join(', ') || 'none';
  const layers = device.layers ? ` (${device.layers} layer${device.layers === 1 ? '' : 's'})` : '';
  return { key: `${from}|${changes}|${device.downloadBytes}|${layers}`, from, changes, layers };
}

/**
 * One row per set of devices with the same change (same plan, same bytes): a fleet of 10,000
 * devices that all take one update is one row, and the comment stays readable and under the
 * size a pull-request comment may have.
 */
export function planMarkdown(plan: RolloutPlan): string {
  const lines = [
    PLAN_MARKER,
    `### Ferry rollout plan: \`${plan.base.slice(0, 8)}\` → \`${plan.head.slice(0, 8)}\``,
    '',
    '| devices | changes | download (each) |',
    '| --- | --- | ---: |',
  ];
  const groups = new Map<
    string,
    { row: ReturnType<typeof rowOf>; devices: string[]; bytes: number }
  >();
  for (const device of plan.devices) {
    const row = rowOf(device);
    const group = groups.get(row.key) ?? { row, devices: [], bytes: device.downloadBytes };
    group.devices.push(device.device);
    groups.set(row.key, group);
  }
  for (const { row, devices, bytes } of groups.values()) {
    const named = devices.slice(0, NAMED_PER_GROUP).join(', ');
    const who =
      devices.length === 1
        ? `${named}${row.from}`
        : `${devices.length} devices: ${named}${devices.length > NAMED_PER_GROUP ? ', …' : ''}${row.from}`;
    lines.push(`| ${who} | ${row.changes} | ${size(bytes)}${row.layers} |`);
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

/** The comment for a head that does not validate: the problems, so the review sees why. */
export function invalidPlanMarkdown(head: string, problems: readonly Problem[]): string {
  return [
    PLAN_MARKER,
    `### Ferry rollout plan: \`${head}\` does not validate`,
    '',
    `Devices would refuse this revision and keep what they run. ${problems.length} problem${problems.length === 1 ? '' : 's'}:`,
    '',
    ...problems.slice(0, 200).map((p) => `- \`${formatProblem(p)}\``),
    ...(problems.length > 200 ? [`- … and ${problems.length - 200} more (ferry validate)`] : []),
  ].join('\n');
}
