// `ferry status --hub URL`: the fleet as the hub knows it, in a terminal table (or JSON).
import { Command } from 'commander';
import type { DeviceView } from '../hub/hub-views.js';

export function statusCommand(): Command {
  return new Command('status')
    .description('the fleet as the hub knows it: online, revision and status per deployment')
    .requiredOption('--hub <URL>', 'the hub, e.g. https://hub.example.com')
    .option('--token-file <FILE>', 'the operator token (default: $FERRY_HUB_TOKEN)')
    .option('--selector <K=V,...>', 'only devices whose labels match')
    .option('--deployment <NAME>', 'only devices that run this deployment (and only its column)')
    .option('--status <STATUS>', 'only devices with a deployment in this status')
    .option('--online <BOOL>', 'only online (true) or offline (false) devices')
    .option('--json', 'print the devices as JSON')
    .action(async (options: StatusOptions) => {
      const { hubDevices } = await import('../hub/hub-client.js');
      const devices = await hubDevices(
        { url: options.hub, ...(options.tokenFile ? { tokenFile: options.tokenFile } : {}) },
        {
          ...(options.selector ? { selector: options.selector } : {}),
          ...(options.deployment ? { deployment: options.deployment } : {}),
          ...(options.status ? { status: options.status } : {}),
          ...(options.online ? { online: options.online } : {}),
        },
      );
      console.log(
        options.json
          ? JSON.stringify({ devices }, null, 2)
          : statusTable(devices, options.deployment, Date.now()),
      );
    });
}

interface StatusOptions {
  hub: string;
  tokenFile?: string;
  selector?: string;
  deployment?: string;
  status?: string;
  online?: string;
  json?: boolean;
}

/** One row per device; one column per deployment (`revision status`). */
export function statusTable(
  devices: readonly DeviceView[],
  only: string | undefined,
  now: number,
): string {
  const names = only
    ? [only]
    : [...new Set(devices.flatMap((d) => d.deployments.map((x) => x.name)))].sort();
  const rows = devices.map((d) => [
    d.id,
    d.online ? 'online' : 'OFFLINE',
    seen(d.lastSeen, now),
    ...names.map((name) => {
      const x = d.deployments.find((y) => y.name === name);
      if (!x) return '-';
      const why = x.code ? ` ${x.code}` : '';
      return `${(x.appliedRevision ?? '-').slice(0, 10)} ${x.status}${why}`;
    }),
    d.inFleet === false ? 'not in the fleet repository' : '',
  ]);
  const header = ['DEVICE', 'STATE', 'LAST SEEN', ...names.map((n) => n.toUpperCase()), ''];
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const lines = table.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const online = devices.filter((d) => d.online).length;
  return [...lines, '', `${devices.length} devices, ${online} online`].join('\n');
}

function seen(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120
    ? `${s}s ago`
    : s < 7200
      ? `${Math.round(s / 60)}m ago`
      : `${Math.round(s / 3600)}h ago`;
}
