// What a user sees when a build cannot work: the Dockerfile, its line, the instruction and the
// engine's words (or what to write instead), exit 1, and never a stack trace.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot, runCli } from '../helpers/run-cli.js';

let repo: FleetRepo;
let dockerfile: string;
before(async () => {
  repo = await createFleetRepo('build-errors', `${repoRoot}/fleet-examples/bms`);
  await repo.commit('bms fleet');
  dockerfile = await readFile(join(repo.workTree, 'apps/collector/Dockerfile'), 'utf8');
});
after(async () => repo?.remove());

/** Commits the collector's Dockerfile with `line` added before its CMD and runs `ferry build`. */
async function buildWith(line: string) {
  const text = dockerfile.replace(/^CMD /m, `${line}\nCMD `);
  await writeFile(join(repo.workTree, 'apps/collector/Dockerfile'), text);
  await repo.commit(`collector: ${line}`);
  const result = await runCli('ferry', ['build', repo.workTree], { timeoutMs: 120_000 });
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
  return result;
}

describe('ferry build errors', () => {
  it('names the Dockerfile line and shows the output of a failing RUN', async () => {
    const result = await buildWith('RUN echo calibrating sensors && false');
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^ferry: apps\/collector\/Dockerfile:6: RUN echo calibrating sensors && false: The command '\/bin\/sh -c echo calibrating sensors && false' returned a non-zero code: 1 \(service collector in bms-collector, linux\/amd64\)$/m,
    );
    assert.match(result.stderr, /^ {2}\| calibrating sensors$/m);
  });

  it('refuses BuildKit-only syntax before building, saying what to write instead', async () => {
    const result = await buildWith('RUN --mount=type=cache,target=/var/cache/apk echo warm');
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^ferry: apps\/collector\/Dockerfile:6: RUN --mount needs BuildKit, which Ferry's builder does not use: install in the RUN step itself, or COPY what it needs first \(service collector in bms-collector\)$/m,
    );
  });

  it('names an unknown instruction with its line', async () => {
    const result = await buildWith('COPPY collect.sh /app/again.sh');
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^ferry: apps\/collector\/Dockerfile:6: unknown instruction 'COPPY' \(service collector in bms-collector\)$/m,
    );
  });
});
