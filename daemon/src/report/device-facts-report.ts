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

/** What the engine says of itself; its data root as ferryd sees it (under engine.hostRoot). */
export interface EngineFacts {
  readonly version: string;
  readonly dataRoot?: string;
}

export function deviceIdentity(
  archLabel: string | undefined,
  engineVersion: string | undefined,
): DeviceIdentity {
  return {
    hostname: hostname(),
    arch: archLabel ?? arch(),
    os: platform(),
    kernel: release(),
    ferrydVersion: FERRY_VERSION,
    ...(engineVersion ? { engineVersion: engineVersion.slice(0, 256) } : {}),
  };
}

const freeBytes = async (path: string) => {
  const disk = await statfs(path).catch(() => undefined);
  return disk ? disk.bavail * disk.bsize : undefined;
};

export async function deviceResources(
  stateDir: string,
  engineDataRoot?: string,
): Promise<DeviceResources> {
  const engineDiskFree = engineDataRoot ? await freeBytes(engineDataRoot) : undefined;
  return {
    cpus: cpus().length,
    load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    memTotal: totalmem(),
    memAvailable: freemem(),
    diskFree: (await freeBytes(stateDir)) ?? 0,
    ...(engineDiskFree === undefined ? {} : { engineDiskFree }),
    uptime: Math.round(uptime()),
  };
}
