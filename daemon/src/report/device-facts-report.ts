// What a gateway says about itself in its reports: who it is and what it has left.
import { statfs } from 'node:fs/promises';
import {
  arch,
  cpus,
  freemem,
  hostname,
  loadavg,
  platform,
  release,
  totalmem,
  uptime,
} from 'node:os';
import type { DeviceIdentity, DeviceResources } from '#kernel/hub/hub-report.js';
import { FERRY_VERSION } from '#kernel/version.js';

export function deviceIdentity(archLabel: string | undefined): DeviceIdentity {
  return {
    hostname: hostname(),
    arch: archLabel ?? arch(),
    os: platform(),
    kernel: release(),
    ferrydVersion: FERRY_VERSION,
  };
}

export async function deviceResources(stateDir: string): Promise<DeviceResources> {
  const disk = await statfs(stateDir).catch(() => undefined);
  return {
    cpus: cpus().length,
    load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    memTotal: totalmem(),
    memAvailable: freemem(),
    diskFree: disk ? disk.bavail * disk.bsize : 0,
    uptime: Math.round(uptime()),
  };
}
