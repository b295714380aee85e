// `ferry beacon`: the signed file gateways poll instead of git (kernel/src/trust/beacon.ts). Run
// by CI or the builder after each merge, and on a timer (before the last one expires).
import { createPrivateKey } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { FerryError } from '#kernel/errors.js';
import { gitDirOf, resolveCommit } from '#kernel/source/git-revision.js';
import {
  BEACON_NAMESPACE,
  canonicalBeacon,
  type Beacon,
  type BeaconBody,
} from '#kernel/trust/beacon.js';
import { signEd25519 } from '#kernel/trust/ssh-signature.js';
import { sshKeygenSign } from '../sign/ssh-keygen-sign.js';

export interface BeaconInputs {
  /** A local clone, or the repository's http(s) URL (one ref advertisement, no clone). */
  readonly repo: string;
  readonly branch: string;
  /** An OpenSSH private key (signed with ssh-keygen) or a PEM Ed25519 key (signed here). */
  readonly key: string;
  readonly out: string;
  readonly expiresMs: number;
  readonly now?: Date;
}

async function branchHead(repo: string, branch: string): Promise<string> {
  if (/^https?:\/\//.test(repo)) {
    const refs = await git.listServerRefs({ http, url: repo, prefix: `refs/heads/${branch}` });
    const head = refs.find((r) => r.ref === `refs/heads/${branch}`)?.oid;
    if (!head) throw new FerryError('FERRY_SOURCE', `branch '${branch}' not found at ${repo}`);
    return head;
  }
  return resolveCommit(await gitDirOf(repo), branch);
}

/** An armored SSH signature over `payload`, in the beacon namespace. */
async function signPayload(keyFile: string, payload: string): Promise<string> {
  const text = await readFile(keyFile, 'utf8').catch(() => {
    throw new FerryError('FERRY_USAGE', `cannot read --key ${keyFile}`);
  });
  if (text.includes('BEGIN OPENSSH PRIVATE KEY'))
    return sshKeygenSign(keyFile, BEACON_NAMESPACE, payload);
  const key = createPrivateKey(text);
  if (key.asymmetricKeyType !== 'ed25519')
    throw new FerryError(
      'FERRY_USAGE',
      `${keyFile}: a PEM key must be Ed25519 (or give an OpenSSH key)`,
    );
  return signEd25519(key, payload, BEACON_NAMESPACE);
}

/** Writes `out/beacon.json` (whole, or not at all); returns what it wrote. */
export async function writeBeacon(inputs: BeaconInputs): Promise<Beacon> {
  const now = inputs.now ?? new Date();
  const file = join(inputs.out, 'beacon.json');
  const previous = await readFile(file, 'utf8')
    .then((t) => (JSON.parse(t) as { sequence?: number }).sequence ?? 0)
    .catch(() => 0);
  const body: BeaconBody = {
    v: 1,
    branch: inputs.branch,
    commit: await branchHead(inputs.repo, inputs.branch),
    // Grows with every beacon, also from a fresh CI runner that has not seen the last one.
    sequence: Math.max(previous + 1, Math.floor(now.getTime() / 1000)),
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + inputs.expiresMs).toISOString(),
  };
  const beacon: Beacon = {
    ...body,
    signature: await signPayload(inputs.key, canonicalBeacon(body)),
  };
  await mkdir(inputs.out, { recursive: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(beacon, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return beacon;
}
