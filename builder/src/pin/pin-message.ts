// The pin commit's message: what changed, from which digest to which, built from which commit.
import type { BuildReport } from '../pipeline/build-fleet.js';

export function pinMessage(report: BuildReport): string {
  const changes = report.pins.flatMap((p) => p.changes);
  const images = new Set(changes.map((c) => c.after.split('@')[0]));
  const lines = [
    `ferry: pin ${images.size} image${images.size === 1 ? '' : 's'} built from ${report.commit.slice(0, 12)}`,
    '',
  ];
  for (const pin of report.pins) {
    lines.push(pin.file);
    for (const change of pin.changes) {
      const before = change.before.split('@')[1] ?? '(unpinned)';
      lines.push(
        `  ${change.service}: ${change.after.split('@')[0]}`,
        `    ${before} -> ${change.after.split('@')[1]}`,
      );
    }
  }
  lines.push('', `Built-from: ${report.commit}`);
  return `${lines.join('\n')}\n`;
}
