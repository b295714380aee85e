// The build report as text for a terminal or a CI log: per image, its layers, which are shared
// with other images of the stack, and which a device running the previous pin must download.
import { formatBytes } from '../format-bytes.js';
import type { BuildReport, BuiltImage } from './build-fleet.js';

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

function imageLines(image: BuiltImage): string[] {
  const lines = [
    `${image.stack}: ${image.services.join(', ')} -> ${image.image}@${image.digest}`,
    `  source ${short(image.source.commit)}${image.base ? `, base ${image.base}` : ''}` +
      (image.previous === null
        ? ', not pinned before'
        : image.unchanged
          ? ', unchanged'
          : `, was @${short(image.previous)}`),
  ];
  for (const platform of image.platforms) {
    const changed = platform.layers.filter((l) => l.changed);
    const changedBytes = changed.reduce((sum, l) => sum + l.size, 0);
    lines.push(`  ${platform.platform} ${short(platform.manifestDigest)}`);
    for (const [i, layer] of platform.layers.entries()) {
      const shared = layer.sharedWith.length
        ? `shared with ${layer.sharedWith.join(', ')}`
        : 'unique';
      const mark = layer.changed === null ? ' ' : layer.changed ? '*' : ' ';
      lines.push(
        `   ${mark}${String(i + 1).padStart(2)} ${short(layer.digest)} ${formatBytes(layer.size).padStart(10)}  ${shared.padEnd(28)} ${layer.reused ? '(as pinned) ' : ''}${layer.step.slice(0, 60)}`,
      );
    }
    if (image.previous !== null && platform.layers.every((l) => l.changed !== null))
      lines.push(
        `    * changed since the previous pin: ${changed.length} of ${platform.layers.length} layers, ${formatBytes(changedBytes)} to download`,
      );
  }
  return lines;
}

export function formatBuild(report: BuildReport): string {
  const lines = [`built ${report.images.length} image(s) from ${short(report.commit)}`];
  for (const image of report.images) lines.push('', ...imageLines(image));
  lines.push('');
  if (report.upload)
    lines.push(
      `pushed: ${report.upload.uploadedBlobs} blob(s) uploaded (${formatBytes(report.upload.uploadedBytes)}), ` +
        `${report.upload.presentBlobs} already there, ${report.upload.mountedBlobs} mounted`,
    );
  if (report.pins.length === 0) lines.push('pins: nothing changed');
  // Without --push nothing is pinned: the digests would name images the registry does not have.
  const verb = report.pushed ? 'pin' : 'would pin (with --push)';
  for (const pin of report.pins)
    for (const change of pin.changes)
      lines.push(`${verb} ${pin.file} ${change.service}: ${change.after}`);
  return lines.join('\n');
}
