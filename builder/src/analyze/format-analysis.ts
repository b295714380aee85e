// `ferry analyze` as a table for a terminal.
import { formatBytes } from '../format-bytes.js';
import type { StackAnalysis } from './analyze-stack.js';

export function formatAnalysis(a: StackAnalysis): string {
  const width = Math.max(7, ...a.services.map((s) => s.service.length));
  const lines = [
    `${a.stack} (${a.platform})`,
    `${'service'.padEnd(width)}  layers        size      shared      unique`,
    ...a.services.map(
      (s) =>
        `${s.service.padEnd(width)}  ${String(s.layers).padStart(6)}  ${formatBytes(s.bytes).padStart(10)}  ${formatBytes(s.sharedBytes).padStart(10)}  ${formatBytes(s.uniqueBytes).padStart(10)}`,
    ),
    '',
  ];
  const saved = a.unsharedBytes - a.deviceBytes;
  const percent = a.unsharedBytes > 0 ? Math.round((100 * saved) / a.unsharedBytes) : 0;
  lines.push(
    `a device stores ${formatBytes(a.deviceBytes)} for this stack; unshared it would be ${formatBytes(a.unsharedBytes)} (sharing saves ${formatBytes(saved)}, ${percent}%)`,
  );
  if (a.sharedLayers.length > 0) {
    lines.push('', 'shared layers:');
    for (const layer of a.sharedLayers)
      lines.push(
        `  ${layer.digest.slice(7, 19)} ${formatBytes(layer.size).padStart(10)}  ${layer.services.join(', ')}`,
      );
  }
  for (const s of a.skipped) lines.push(`skipped ${s.service}: ${s.reason}`);
  if (a.warnings.length > 0) lines.push('', 'warnings:', ...a.warnings.map((w) => `  ! ${w}`));
  return lines.join('\n');
}
