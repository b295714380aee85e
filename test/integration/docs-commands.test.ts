// Every shell command the README and docs/ show is accounted for: run here verbatim, or run (in
// the same form, on a test fleet) by a named integration test, or named as needing what this
// machine lacks (systemd). A command added to the docs without one of these fails this test.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/run-cli.js';

const exec = promisify(execFile);

/** Commands run by an integration test, with the text that shows the test runs that form. */
const COVERED: readonly (readonly [RegExp, string, string])[] = [
  [/^npm run demo/, 'demo.test.ts', 'run-demo.js'],
  [/^npm test$/, '../../.ci/run', 'npm test'],
  [/^npx ferry build \S+( --json)?$/, 'ferry-build.test.ts', "'--json'"],
  [/^npx ferry build \S+ --push$/, 'ferry-build.test.ts', "'--push'"],
  [/^npx ferry build \S+ --push --commit( --branch \S+)?$/, 'ferry-build.test.ts', "'--branch'"],
  [/^npx ferry pin \S+( --commit)?$/, 'ferry-pin.test.ts', "'--commit'"],
  [/^npx ferry analyze \S+ --stack \S+$/, 'ferry-analyze.test.ts', "'--stack'"],
  [/^npx ferry plan \S+ --base \S+ --head \S+( --format json)?$/, 'ferry-plan.test.ts', "'--base'"],
  [/^(npx )?ferryd check-config --config \S+$/, 'cli.test.ts', "'check-config'"],
  [/^(npx )?ferryd once --config \S+ --json$/, 'ferryd-reconcile.test.ts', 'ferrydOnce'],
  [/^(npx )?ferryd run --config \S+$/, 'ferryd-daemon.test.ts', 'FerrydProcess'],
  [/^(npx )?ferryd status --api \S+( --json)?$/, 'ferryd-daemon.test.ts', "'status'"],
  [/^(npx )?ferryd healthcheck --config \S+$/, 'ferryd-daemon.test.ts', "'healthcheck'"],
  [/^(npx )?ferryd retry( \S+)? --api \S+$/, 'hub-operations.test.ts', "'retry'"],
  [/^ferry rollouts --hub \S+ --repo \S+( --signing-key \S+)?$/, 'rollouts.test.ts', "'rollouts'"],
  [
    /^ferry beacon --repo \S+ --key \S+ --out \S+( --expires \S+)?$/,
    'ferryd-beacon.test.ts',
    "'beacon'",
  ],
  [
    /^ferry validate \S+ --verify-signatures \S+ --since \S+ --allowed-signers \S+$/,
    'ferryd-trust.test.ts',
    "'--verify-signatures'",
  ],
  [/^ferry hub --config \S+$/, 'hub.test.ts', 'HubProcess.start'],
  [/^ferry hub enroll \S+ --config \S+$/, 'hub.test.ts', 'enroll(hub'],
  [/^export FERRY_HUB_TOKEN=/, 'hub-operations.test.ts', 'FERRY_HUB_TOKEN'],
  [
    /^ferry status --hub \S+( --deployment \S+ --status \S+ --json)?$/,
    'hub-operations.test.ts',
    "'status'",
  ],
  [/^ferry plan \S+ --base \S+ --head \S+ --hub \S+$/, 'hub-operations.test.ts', "'--hub'"],
  [/^curl .* \S+\/api\/v1\/devices\/\S+\/operations$/, 'hub-operations.test.ts', '/operations'],
  [/^docker build .*ferryd/, 'ferryd-image.test.ts', "'--build-arg'"],
  [/^docker run .*--network host .*docker\.sock.* ferryd$/, 'ferryd-image.test.ts', "'--network'"],
];

/** Commands that need systemd, which this machine (and CI) does not run. */
const NEEDS_SYSTEMD = [/^install .*(systemd|\/etc\/ferry)/, /^systemctl /, /^journalctl /];

async function documentedCommands(): Promise<{ file: string; command: string }[]> {
  const files = ['README.md', ...(await readdir(join(repoRoot, 'docs'))).map((f) => `docs/${f}`)];
  const out: { file: string; command: string }[] = [];
  for (const file of files.filter((f) => f.endsWith('.md'))) {
    const text = await readFile(join(repoRoot, file), 'utf8');
    for (const [, block] of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
      const joined = block!.replace(/\\\n\s*/g, ' ');
      for (const line of joined.split('\n')) {
        const command = line
          .replace(/^\$ /, '')
          .replace(/\s+#.*$/, '')
          .trim();
        if (command) out.push({ file, command });
      }
    }
  }
  return out;
}

/** Runnable verbatim here: read-only commands on files in this repository. */
const RUN_HERE =
  /^npx (ferry (validate|resolve)|ferryd check-config --config daemon\/|ferry(d)? --version)/;

describe('the documented commands', () => {
  it('are each run here, run by a named test, or need systemd', async () => {
    const commands = await documentedCommands();
    assert.ok(commands.length >= 20, `found only ${commands.length} commands`);
    const unaccounted: string[] = [];
    for (const { file, command } of commands) {
      if (RUN_HERE.test(command)) {
        const [bin, ...args] = command.replace(/^npx /, '').split(/\s+/);
        await exec(process.execPath, [join(repoRoot, 'bin', `${bin}.js`), ...args], {
          cwd: repoRoot,
        });
        continue;
      }
      const covered = COVERED.find(([pattern]) => pattern.test(command));
      if (covered) {
        const test = await readFile(join(repoRoot, 'test/integration', covered[1]), 'utf8');
        assert.ok(test.includes(covered[2]), `${covered[1]} does not run '${command}'`);
        continue;
      }
      if (NEEDS_SYSTEMD.some((pattern) => pattern.test(command))) continue;
      unaccounted.push(`${file}: ${command}`);
    }
    assert.deepEqual(unaccounted, []);
  });
});
