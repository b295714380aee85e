// Polling a beacon instead of git: `ferry beacon` signs the branch's commit, a static server
// serves it, and ferryd touches the git server (behind a byte-counting proxy here) only when the
// beacon names a new commit. A replayed older beacon and a tampered one are refused; an expired
// one leaves the gateway running what it has, reported as frozen.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startCountingProxy, type CountingProxy } from '../helpers/counting-proxy.js';
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

/** A static server for one file, with ETag and 304, counting what it answered. */
async function beaconServer(file: string) {
  const answers: number[] = [];
  const server: Server = createServer((request, response) => {
    void readFile(file).then(
      (body) => {
        const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
        const status = request.headers['if-none-match'] === etag ? 304 : 200;
        answers.push(status);
        response.writeHead(status, { etag, 'content-type': 'application/json' });
        response.end(status === 200 ? body : undefined);
      },
      () => {
        answers.push(404);
        response.writeHead(404).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/beacon.json`, answers, server };
}

describe('polling a signed beacon', () => {
  const device = uniqueDevice('beacon');
  let repo: FleetRepo;
  let setup: FerrydSetup;
  let image: string;
  let key: string;
  let out: string;
  let served: Awaited<ReturnType<typeof beaconServer>>;
  let git: CountingProxy;

  const version = async () =>
    (await deviceContainers(device)).get(`${device}.iot.web`)?.env.find((e) => e.startsWith('V='));
  const commit = async (v: string) => {
    await writeFleet(repo.workTree, {
      'stacks/iot/compose.yaml': `services:\n  web:\n    image: ${image}\n    environment: { V: "${v}" }\n`,
    });
    return repo.commit(`iot v${v}`);
  };
  const beacon = async (...extra: string[]) => {
    const result = await runCli('ferry', [
      'beacon',
      '--repo',
      repo.workTree,
      '--key',
      key,
      '--out',
      out,
      ...extra,
    ]);
    assert.equal(result.code, 0, result.stderr);
    return readFile(join(out, 'beacon.json'), 'utf8');
  };

  before(async () => {
    image = await pushWebAppImage();
    const dir = await mkdtemp(join(tmpdir(), 'ferry-beacon-'));
    key = join(dir, 'beacon-key');
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'beacon', '-f', key]);
    out = join(dir, 'www');
    served = await beaconServer(join(out, 'beacon.json'));
    ({ repo } = await oneStackFleet('beacon', device, { 'stacks/iot/compose.yaml': '' }));
    const origin = new URL(repo.url);
    git = await startCountingProxy(origin.port);
    const publicKey = (await readFile(`${key}.pub`, 'utf8')).trim();
    setup = await ferrydConfig(
      device,
      repo.url.replace(origin.host, new URL(git.url).host),
      `# the beacon is polled instead of git\n`,
    );
    // source: is written by ferrydConfig; the beacon goes under it.
    const config = await readFile(setup.configFile, 'utf8');
    await writeFile(
      setup.configFile,
      config.replace(
        /source: \{ url: "([^"]+)", interval: 1s \}/,
        `source: { url: "$1", interval: 1s, beacon: { url: "${served.url}", publicKey: "${publicKey}" } }`,
      ),
    );
  });
  after(async () => {
    served?.server.close();
    await git?.close();
    await cleanDevice(device);
    await repo?.remove();
  });

  it('applies the commit the beacon names', async () => {
    await commit('1');
    await beacon();
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(await version(), 'V=1');
  });

  it('touches no git while the beacon is unchanged (304), even when the branch moved', async () => {
    await commit('2');
    git.reset();
    const before = served.answers.length;
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(served.answers.slice(before), [304]);
    assert.equal(git.total(), 0, 'not one byte to or from the git server');
    assert.equal(await version(), 'V=1', 'the beacon still names v1');
    await beacon();
    assert.equal((await ferrydOnce(setup)).result.code, 0);
    assert.equal(await version(), 'V=2');
    assert.ok(git.total() > 0, 'a new commit is fetched from git');
  });

  it('refuses a replayed older beacon and a tampered one, and keeps what runs', async () => {
    const current = await readFile(join(out, 'beacon.json'), 'utf8');
    const older = { ...(JSON.parse(current) as { sequence: number }) };
    await commit('3');
    await beacon();
    assert.equal((await ferrydOnce(setup)).result.code, 0);
    assert.equal(await version(), 'V=3');
    await writeFile(join(out, 'beacon.json'), JSON.stringify(older)); // the older one, replayed
    const replay = await ferrydOnce(setup);
    assert.equal(replay.result.code, 1);
    assert.equal(replay.report.failures[0]?.code, 'FERRY_BEACON');
    assert.match(replay.report.failures[0]?.message ?? '', /lower than .*replay/);
    const tampered = (await beacon()).replace(
      /"commit": "[0-9a-f]{40}"/,
      `"commit": "${'f'.repeat(40)}"`,
    );
    await writeFile(join(out, 'beacon.json'), tampered);
    const forged = await ferrydOnce(setup);
    assert.match(forged.report.failures[0]?.message ?? '', /signature does not match/);
    assert.equal(await version(), 'V=3');
  });

  it('reports frozen when the beacon expires, and applies nothing new', async () => {
    await commit('4');
    await beacon('--expires', '1s');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 1);
    assert.ok(report.frozen, JSON.stringify(report));
    assert.equal(report.failures.at(-1)?.code, 'FERRY_BEACON');
    assert.match(report.failures.at(-1)?.message ?? '', /may be frozen/);
    assert.equal(await version(), 'V=3', 'what it accepted last keeps running');
  });
});
