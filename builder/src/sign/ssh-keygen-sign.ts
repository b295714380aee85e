// Signing with an OpenSSH private key through `ssh-keygen -Y sign` (node:crypto cannot read the
// OpenSSH key format): for beacons, and for the rollout controller's commits.
import { execFile } from 'node:child_process';
import { FerryError } from '#kernel/errors.js';

/** An armored SSH signature over `payload` in `namespace`. */
export async function sshKeygenSign(
  keyFile: string,
  namespace: string,
  payload: string,
): Promise<string> {
  const child = execFile('ssh-keygen', ['-Y', 'sign', '-q', '-f', keyFile, '-n', namespace]);
  child.stdin?.end(payload);
  let signature = '';
  child.stdout?.on('data', (chunk: Buffer) => (signature += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new FerryError('FERRY_USAGE', `ssh-keygen could not sign with ${keyFile}`);
  return signature.trim();
}
