// SSH signatures as OpenSSH makes them (fixtures made with `ssh-keygen -Y sign` and `git commit
// -S` with gpg.format=ssh): verified for ed25519, RSA and ECDSA keys; refused when the message,
// namespace, key or time is wrong; allowed-signers files read as git reads them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllowedSigners, parseSignerTime } from '#kernel/trust/allowed-signers.js';
import { splitCommit, verifyAnyCommit, verifyCommit } from '#kernel/trust/commit-signature.js';
import { openpgpJudge } from '#kernel/trust/openpgp-signature.js';
import { parseSshSignature, verifySshSignature } from '#kernel/trust/ssh-signature.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/trust/${name}`, import.meta.url), 'utf8');
const message = fixture('msg');
const signature = (kind: string) => {
  const parsed = parseSshSignature(fixture(`msg.${kind}.sig`));
  assert.notEqual(typeof parsed, 'string', String(parsed));
  return parsed as Exclude<typeof parsed, string>;
};
const signersLine = (key: string, options = '') =>
  `ops@example${options ? ` ${options}` : ''} ${fixture(`${key}.pub`).split(' ').slice(0, 2).join(' ')}`;

describe('SSH signatures', () => {
  for (const kind of ['ed', 'rsa', 'ec'])
    it(`verifies a ${kind} signature over its message, and nothing else`, () => {
      const sig = signature(kind);
      assert.equal(verifySshSignature(sig, message, 'git'), true);
      assert.equal(verifySshSignature(sig, message.replace('message', 'massage'), 'git'), false);
      assert.equal(verifySshSignature(sig, message, 'file'), false, 'another namespace');
    });

  it('says why an armored text is not a signature', () => {
    assert.match(String(parseSshSignature('hello')), /not an SSH signature/);
    assert.match(
      String(parseSshSignature('-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----')),
      /no SSHSIG preamble|unreadable/,
    );
  });
});

describe('allowed signers', () => {
  it('reads principals, options and keys, and lists the lines it cannot use', () => {
    const file = [
      '# the fleet operators',
      signersLine('ed', 'namespaces="git",valid-after="20260101",valid-before="20270101Z"'),
      signersLine('rsa'),
      'broken ssh-ed25519 AAAA',
      `ca@example cert-authority ${fixture('ec.pub').split(' ').slice(0, 2).join(' ')}`,
    ].join('\n');
    const { signers, problems } = parseAllowedSigners(file);
    assert.equal(signers.length, 2);
    assert.deepEqual(signers[0]?.namespaces, ['git']);
    assert.equal(signers[0]?.validAfter, Date.UTC(2026, 0, 1));
    assert.equal(signers[0]?.validBefore, Date.UTC(2027, 0, 1));
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /^4: /);
    assert.match(problems[1] ?? '', /^5: option 'cert-authority' is not supported/);
    assert.equal(parseSignerTime('202601011230'), Date.UTC(2026, 0, 1, 12, 30));
    assert.equal(parseSignerTime('yesterday'), undefined);
  });
});

describe('signed commits', () => {
  const commit = splitCommit(fixture('signed-commit.oid').trim(), fixture('signed-commit'));
  const allowed = (options = '', key = 'ed') =>
    parseAllowedSigners(signersLine(key, options)).signers;

  it('takes the signature out of the commit and verifies what was signed', () => {
    assert.ok(!commit.payload.includes('gpgsig'));
    assert.ok(commit.payload.endsWith('\n\nsigned commit\n'));
    assert.equal(commit.committedAt, 1796037218);
    assert.deepEqual(verifyCommit(commit, allowed()), { ok: true, signer: 'ops@example' });
  });

  it('refuses an unsigned commit, a changed one, a key not allowed, and a key out of its time', () => {
    const unsigned = { oid: commit.oid, payload: commit.payload, committedAt: commit.committedAt };
    assert.match(reason(verifyCommit(unsigned, allowed())), /is not signed/);
    const changed = { ...commit, payload: commit.payload.replace('signed commit', 'evil commit') };
    assert.match(reason(verifyCommit(changed, allowed())), /does not match the commit/);
    assert.match(reason(verifyCommit(commit, allowed('', 'rsa'))), /key not allowed/);
    assert.match(
      reason(verifyCommit(commit, allowed('valid-before="20260101"'))),
      /key not allowed/,
    );
    assert.match(reason(verifyCommit(commit, allowed('namespaces="file"'))), /key not allowed/);
    assert.equal(verifyCommit(commit, allowed('valid-after="20260101"')).ok, true);
  });
});

function reason(verdict: { ok: boolean; reason?: string }): string {
  return verdict.ok ? 'ok' : (verdict.reason ?? '');
}

describe('OpenPGP-signed commits (gpg)', () => {
  const commit = splitCommit(fixture('pgp-commit.oid').trim(), fixture('pgp-commit'));

  it('verifies a commit gpg signed, with the allowed key, and names the signer', async () => {
    const judge = await openpgpJudge(fixture('pgp.asc'));
    assert.deepEqual(await verifyAnyCommit(commit, [], judge), {
      ok: true,
      signer: 'Fleet Operator <pgp@fleet.test>',
    });
  });

  it('verifies it when gpg signed a few seconds after git stamped the commit', async () => {
    // git stamps the commit's time, then runs gpg, whose signature can fall in a later second.
    const judge = await openpgpJudge(fixture('pgp.asc'));
    const stampedEarlier = { ...commit, committedAt: commit.committedAt - 3 };
    assert.equal((await verifyAnyCommit(stampedEarlier, [], judge)).ok, true);
  });

  it('refuses it changed, or with no OpenPGP key allowed', async () => {
    const judge = await openpgpJudge(fixture('pgp.asc'));
    const changed = { ...commit, payload: commit.payload.replace('pgp signed', 'evil') };
    assert.match(
      reason(await verifyAnyCommit(changed, [], judge)),
      /not allowed, or the signature does not match/,
    );
    assert.match(reason(await verifyAnyCommit(commit, [], undefined)), /no OpenPGP key is allowed/);
  });
});
