// The real `ferry` and `ferryd` binaries, driven as a user would.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, runCli } from '../helpers/run-cli.js';

const examples = ['bms', 'smart-mall', 'agile-gateway', 'multi-tenant'];

describe('ferry validate and resolve on the example fleets', () => {
  for (const example of examples) {
    it(`accepts fleet-examples/${example} and resolves each of its devices`, async () => {
      const dir = `fleet-examples/${example}`;
      const validate = await runCli('ferry', ['validate', dir]);
      assert.equal(validate.code, 0, validate.stdout + validate.stderr);
      assert.match(validate.stdout, /valid \(\d+ deployments?, \d+ devices?(, \d+ warnings?)?\)/);
      const devices = (await readdir(join(repoRoot, dir, 'devices'))).map((f) =>
        f.replace(/\.yaml$/, ''),
      );
      assert.ok(devices.length >= 2);
      for (const device of devices) {
        const human = await runCli('ferry', ['resolve', dir, '--device', device]);
        assert.equal(human.code, 0, human.stderr);
        assert.match(human.stdout, new RegExp(`^device ${device} `));
        const json = await runCli('ferry', ['resolve', dir, '--device', device, '--json']);
        const state = JSON.parse(json.stdout) as {
          device: string;
          deployments: { services: { configHash: string }[] }[];
        };
        assert.equal(state.device, device);
        assert.ok(state.deployments.length > 0, `${device} gets at least one deployment`);
        for (const d of state.deployments)
          for (const s of d.services) assert.match(s.configHash, /^[0-9a-f]{64}$/);
      }
    });
  }
});

describe('ferry validate on a broken fleet', () => {
  it('exits 1 and lists every problem as FILE:LINE:COL path: message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-broken-'));
    await cp(join(repoRoot, 'fleet-examples/multi-tenant'), dir, { recursive: true });
    const compose = join(dir, 'stacks/acme-meter/compose.yaml');
    const text = await readFile(compose, 'utf8');
    await writeFile(
      compose,
      text.replace(
        '    mem_limit: 64m\n',
        '    mem_limit: 64m\n    privileged: true\n    hostnme: meter\n',
      ),
    );
    await writeFile(
      join(dir, 'devices/edge-2.yaml'),
      'labels: { tier: shared-edge, camera: "no" }\n',
    );

    // One run shows them all, in file order: the misspelt key does not hide the others.
    const second = await runCli('ferry', ['validate', dir]);
    assert.equal(second.code, 1);
    const lines = second.stdout.trim().split('\n');
    assert.equal(lines.at(-1), `${dir}: 3 problems`);
    assert.match(
      lines[0] ?? '',
      /^stacks\/acme-meter\/compose\.yaml:6:30 services\.reader\.environment\.METER_ID: variable METER_ID is not set for this device: every acme device needs METER_ID \[device edge-2\]$/,
    );
    assert.match(
      lines[2] ?? '',
      /^stacks\/acme-meter\/compose\.yaml:11:5 services\.reader\.hostnme: unknown key 'hostnme' \(did you mean 'hostname'\?\)$/,
    );
    assert.match(
      second.stdout,
      /^stacks\/acme-meter\/compose\.yaml:10:17 services\.reader\.privileged: tenant 'acme' may not run privileged containers \[devices edge-1, edge-2\]$/m,
    );
  });

  it('exits 1 for a missing fleet.yaml, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-empty-'));
    const result = await runCli('ferry', ['validate', dir]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^fleet\.yaml:1:1 no fleet\.yaml at the fleet root$/m);
  });
});

describe('command line basics', () => {
  it('prints help and the version for both programs', async () => {
    const version = (
      JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
    ).version;
    for (const bin of ['ferry', 'ferryd'] as const) {
      const help = await runCli(bin, ['--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`^Usage: ${bin} `));
      assert.equal((await runCli(bin, ['--version'])).stdout.trim(), version);
    }
    assert.match((await runCli('ferry', ['validate', '--help'])).stdout, /Usage: ferry validate/);
  });

  it('ferryd check-config fills defaults, and exits 2 naming the line of a bad field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferryd-config-'));
    const good = join(dir, 'good.yaml');
    await writeFile(
      good,
      'device: { id: floor-1 }\nsource: { url: "http://127.0.0.1:5103/fleet.git" }\n',
    );
    const ok = await runCli('ferryd', ['check-config', '--config', good]);
    assert.equal(ok.code, 0, ok.stderr);
    const config = JSON.parse(ok.stdout) as {
      source: { branch: string; intervalMs: number };
      api: { listen: string };
    };
    assert.deepEqual(
      [config.source.branch, config.source.intervalMs, config.api.listen],
      ['main', 30_000, '127.0.0.1:7780'],
    );

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'source:\n  url: "http://127.0.0.1:5103/fleet.git"\n  intervall: 10s\n');
    const failed = await runCli('ferryd', ['check-config', '--config', bad]);
    assert.equal(failed.code, 2);
    assert.match(
      failed.stderr,
      new RegExp(
        `^${bad}:3:3 source\\.intervall: unknown key 'intervall' \\(did you mean 'interval'\\?\\)`,
      ),
    );
    const missing = await runCli('ferryd', ['check-config', '--config', join(dir, 'none.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*none\.yaml: ENOENT/);

    // What `run` would refuse, check-config refuses: an API exposed without a token.
    const exposed = join(dir, 'exposed.yaml');
    await writeFile(
      exposed,
      'device: { id: floor-1 }\nsource: { url: "http://127.0.0.1:5103/fleet.git" }\napi: { listen: "0.0.0.0:7780" }\n',
    );
    const refused = await runCli('ferryd', ['check-config', '--config', exposed]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /api\.listen 0\.0\.0\.0:7780 is not loopback: set api\.tokenFile/);
  });

  it('exits 2 on usage errors (unknown option or command, missing argument) in both programs', async () => {
    for (const [bin, args] of [
      ['ferry', ['build', '--bogus']],
      ['ferry', ['nosuch']],
      ['ferry', ['resolve', 'fleet-examples/bms']],
      ['ferryd', ['once', '--bogus']],
    ] as const) {
      const result = await runCli(bin, args);
      assert.equal(result.code, 2, `${bin} ${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /error: /);
    }
  });
});
