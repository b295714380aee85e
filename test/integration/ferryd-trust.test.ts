// Trust in the source: with `trust`, a gateway applies only commits signed (git commit -S, SSH
// keys) by an allowed key, every commit since the one it accepted last; a branch moved back or to
// another history is refused even when signed; the repository's own signers file changes only
// by a commit signed by a key already allowed. What runs keeps running through every refusal.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  cleanDevice,
  deviceContainers,
  ferrydConfig,
  ferrydOnce,
  oneStackFleet,
  pushWebAppImage,
  uniqueDevice,
  writeFleet,
  type FerrydSetup,
} from '../helpers/ferryd-harness.js';
import type { FleetRepo } from '../helpers/fleet-repo.js';
import { runCli } from '../helpers/run-cli.js';

const exec = promisify(execFile);

/** A gpg key in a keyring of its own ($GNUPGHOME, for git too): its id and armored public key. */
async function gpgKey(dir: string): Promise<{ id: string; armored: string }> {
  process.env.GNUPGHOME = dir;
  const batch = join(dir, 'key.batch');
  await writeFile(
    batch,
    '%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nName-Real: Release Bot\nName-Email: bot@fleet.test\nExpire-Date: 0\n%commit\n',
  );
  await exec('gpg', ['--batch', '--quiet', '--gen-key', batch]);
  const { stdout } = await exec('gpg', ['--list-keys', '--with-colons', 'bot@fleet.test']);
  const id = /^fpr:+([0-9A-F]+):/m.exec(stdout)?.[1] ?? '';
  return { id, armored: (await exec('gpg', ['--armor', '--export', id])).stdout };
}

async function sshKey(dir: string, name: string): Promise<{ key: string; pub: string }> {
  const key = join(dir, name);
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@fleet`, '-f', key]);
  return { key, pub: (await readFile(`${key}.pub`, 'utf8')).trim() };
}

describe('signed commits and no rollback', () => {
  const device = uniqueDevice('trust');
  let repo: FleetRepo;
  let setup: FerrydSetup;
  let image: string;
  let ops: { key: string; pub: string };
  let stranger: { key: string; pub: string };
  let good: string;
  let signersFile: string;
  let bot: { id: string; armored: string };

  const stack = (version: string) =>
    `services:\n  web:\n    image: ${image}\n    environment: { V: "${version}" }\n`;
  const change = async (version: string, message: string, signingKey?: string) => {
    await writeFleet(repo.workTree, { 'stacks/iot/compose.yaml': stack(version) });
    return repo.commit(message, signingKey ? { signingKey } : {});
  };
  const runningVersion = async () =>
    (await deviceContainers(device)).get(`${device}.iot.web`)?.env.find((e) => e.startsWith('V='));
  const refusedWith = async (code: string, pattern: RegExp) => {
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 1);
    assert.equal(report.failures[0]?.code, code, JSON.stringify(report.failures));
    assert.match(report.failures[0]?.message ?? '', pattern);
    assert.ok(report.rejected, 'refused like a bad commit');
    return report;
  };

  before(async () => {
    image = await pushWebAppImage();
    const keys = await mkdtemp(join(tmpdir(), 'ferry-keys-'));
    ops = await sshKey(keys, 'ops');
    stranger = await sshKey(keys, 'stranger');
    signersFile = join(keys, 'allowed_signers');
    await writeFile(signersFile, `ops@fleet namespaces="git" ${ops.pub}\n`);
    const gnupg = await mkdtemp(join(tmpdir(), 'ferry-gnupg-'));
    bot = await gpgKey(gnupg);
    const openpgpKeys = join(keys, 'openpgp.asc');
    await writeFile(openpgpKeys, bot.armored);
    ({ repo } = await oneStackFleet('trust', device, { 'stacks/iot/compose.yaml': '' }));
    setup = await ferrydConfig(
      device,
      repo.url,
      `trust: { allowedSignersFile: ${signersFile}, openpgpKeysFile: ${openpgpKeys} }\n`,
    );
  });
  after(async () => {
    await cleanDevice(device);
    await repo?.remove();
  });

  it('applies a signed history', async () => {
    good = await change('1', 'iot v1, signed', ops.key);
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(await runningVersion(), 'V=1');
  });

  it('refuses an unsigned commit on top, naming it, and keeps what runs', async () => {
    const unsigned = await change('2', 'iot v2, unsigned');
    await refusedWith(
      'FERRY_SIGNATURE',
      new RegExp(`commit ${unsigned.slice(0, 12)} is not signed`),
    );
    // Signing the next commit does not launder the unsigned one beneath it.
    await change('3', 'iot v3, signed on top of an unsigned one', ops.key);
    await refusedWith(
      'FERRY_SIGNATURE',
      new RegExp(`commit ${unsigned.slice(0, 12)} is not signed`),
    );
    assert.equal(await runningVersion(), 'V=1');
    await repo.forcePush(good);
  });

  it('refuses a commit signed by a key not in the file', async () => {
    await change('4', 'iot v4, signed by a stranger', stranger.key);
    await refusedWith('FERRY_SIGNATURE', /signed by a key not allowed/);
    assert.equal(await runningVersion(), 'V=1');
    await repo.forcePush(good);
  });

  it('refuses the branch moved back to an older signed commit, or to another history', async () => {
    const v5 = await change('5', 'iot v5, signed', ops.key);
    assert.equal((await ferrydOnce(setup)).result.code, 0);
    assert.equal(await runningVersion(), 'V=5');
    await repo.forcePush(good);
    await refusedWith('FERRY_SOURCE_ROLLBACK', /does not descend from .* the commit accepted last/);
    assert.equal(await runningVersion(), 'V=5', 'the newer version keeps running');
    await repo.git('checkout', '--quiet', '--orphan', 'replacement');
    await change('6', 'another history, signed', ops.key).catch(() => undefined);
    await repo.git('push', '--quiet', '--force', 'origin', 'replacement:main');
    await refusedWith('FERRY_SOURCE_ROLLBACK', /does not descend/);
    await repo.git('checkout', '--quiet', 'main');
    await repo.forcePush(v5);
    assert.equal((await ferrydOnce(setup)).result.code, 0, 'back on the accepted history');
  });

  it('takes a new key from the repository only when a trusted key signed it in', async () => {
    const inRepo = (keys: string) => writeFleet(repo.workTree, { '.ferry/allowed_signers': keys });
    const base = await repo.git('rev-parse', 'HEAD');
    await inRepo(`stranger@fleet ${stranger.pub}\n`);
    await repo.commit('add a key, unsigned');
    await change('7', 'iot v7, signed by the key just added', stranger.key);
    await refusedWith('FERRY_SIGNATURE', /is not signed/);
    await repo.forcePush(base);
    await inRepo(`stranger@fleet ${stranger.pub}\n`);
    await repo.commit('add a key, signed by ops', { signingKey: ops.key });
    const rotated = await change('8', 'iot v8, signed by the new key', stranger.key);
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(await runningVersion(), 'V=8');

    // CI checks the same on the repository side.
    const verify = (...args: string[]) =>
      runCli('ferry', ['validate', repo.workTree, '--allowed-signers', signersFile, ...args]);
    const ok = await verify('--verify-signatures', rotated, '--since', base);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /signed \(2 commits verified\)/);
    const unsigned = await change('9', 'unsigned again');
    const refused = await verify('--verify-signatures', unsigned, '--since', base);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stdout,
      new RegExp(`refused \\[FERRY_SIGNATURE\\]: commit ${unsigned.slice(0, 12)} is not signed`),
    );
  });

  it('accepts a commit signed with an allowed OpenPGP key (gpg)', async () => {
    await repo.forcePush('HEAD~1'); // drop the unsigned commit the last test left on top
    await writeFleet(repo.workTree, { 'stacks/iot/compose.yaml': stack('10') });
    await repo.commit('iot v10, signed by the release bot with gpg', {
      signingKey: bot.id,
      openpgp: true,
    });
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(await runningVersion(), 'V=10');
  });
});
