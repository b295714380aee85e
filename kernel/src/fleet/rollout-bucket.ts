import { createHash } from 'node:crypto';

/**
 * A device's bucket (0-99) for a deployment: stable across runs, machines and versions, so a
 * reviewer can see in `ferry plan` which devices a rollout percentage takes. Devices whose
 * bucket is below `rollout.percent` take the new stack.
 */
export function rolloutBucket(deployment: string, device: string): number {
  const digest = createHash('sha256').update(`${deployment}\0${device}`).digest();
  return digest.readUInt32BE(0) % 100;
}
