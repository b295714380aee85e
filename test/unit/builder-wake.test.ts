// `ferry builder`'s loop per repository: a webhook that arrives while the repository is polling or
// building is remembered, and the repository polls again as soon as that round ends, though the
// poll interval is an hour, as it does when the branch moved during the build; a webhook that
// arrives while it sleeps wakes it at once.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { BuilderService } from '../../builder/src/service/builder-service.js';

/** Ends a build round, saying whether the branch moved during it. */
type Ends = (moved?: boolean) => void;

const HOUR = 3_600_000;

/** A service on one repository whose rounds are stand-ins: each waits until released. */
async function serviceWithRounds() {
  const service = new BuilderService(
    {
      workDir: await mkdtemp(join(tmpdir(), 'ferry-builder-wake-')),
      intervalMs: HOUR,
      repositories: [
        {
          name: 'bms',
          url: 'http://127.0.0.1:9/bms.git',
          branch: 'main',
          path: '.',
          platforms: [],
          author: 'Ferry <f@x>',
        },
      ],
    },
    pino({ level: 'silent' }),
  );
  /** Each round ends when released, saying whether the branch moved during its build. */
  const rounds: { release: Ends }[] = [];
  service.workers[0]!.poll = () =>
    new Promise<boolean>((resolve) => rounds.push({ release: (moved = false) => resolve(moved) }));
  /** Waits until round `n` (from 1) has started; fails after `ms`. */
  const round = async (n: number, ms = 2_000) => {
    const deadline = Date.now() + ms;
    while (rounds.length < n) {
      if (Date.now() > deadline) throw new Error(`round ${n} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { service, rounds, round };
}

describe('ferry builder wake-ups', () => {
  // What ends a build so that the repository polls again at once, with an hour-long interval.
  const causes = {
    'a webhook that came during the build': (service: BuilderService, end: Ends) => {
      assert.equal(service.wake('bms'), true, 'the webhook is taken');
      end();
    },
    'a branch that moved during the build, with no webhook': (_: BuilderService, end: Ends) =>
      end(true),
  };
  for (const [cause, endBuild] of Object.entries(causes))
    it(`polls again at once for ${cause}, then sleeps the interval`, async () => {
      const { service, rounds, round } = await serviceWithRounds();
      await service.start();
      await round(1);
      endBuild(service, rounds[0]!.release);
      await round(2);
      rounds[1]!.release();
      await assert.rejects(round(3, 300), /did not start/, 'then it sleeps the interval');
      await service.stop();
    });

  it('wakes a sleeping repository at once, and knows no other', async () => {
    const { service, rounds, round } = await serviceWithRounds();
    await service.start();
    await round(1);
    rounds[0]!.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    service.wake();
    await round(2);
    assert.equal(service.wake('nope'), false);
    rounds[1]!.release();
    await service.stop();
  });
});
