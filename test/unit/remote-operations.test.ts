// Remote operations on a gateway: only well-formed ones, only the kinds ferryd.yaml allows, only
// on Ferry's containers, each done once even when the hub hands it out again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import {
  operationsIn,
  RemoteOperations,
  type OperationResult,
} from '../../daemon/src/report/remote-operations.js';
import { FakeEngine } from '../helpers/fake-engine.js';

const logger = pino({ level: 'silent' });

async function engineWithWeb(): Promise<FakeEngine> {
  const engine = new FakeEngine();
  await engine.createContainer({
    name: 'gw.iot.web',
    Image: 'web:1',
    Env: ['OUTPUT=one|two|three'],
    Labels: {
      'ferry.managed': 'true',
      'ferry.device': 'gw',
      'ferry.deployment': 'iot',
      'ferry.service': 'web',
    },
  });
  await engine.start('gw.iot.web');
  return engine;
}

function runner(engine: FakeEngine, allowed: ('logs' | 'restart')[], delivered = () => true) {
  const answers: { id: number; result: OperationResult }[] = [];
  const operations = new RemoteOperations({
    engine,
    device: 'gw',
    allowed,
    logger,
    answer: async (id, result) => {
      answers.push({ id, result });
      return delivered();
    },
  });
  return { operations, answers };
}

describe('operationsIn (an answer from the network)', () => {
  it('keeps only well-formed operations, at most 8, lines capped at 1000', () => {
    const ok = { id: 1, kind: 'logs', deployment: 'iot', service: 'web', lines: 5000 };
    const answer = {
      operations: [
        ok,
        { ...ok, id: 'two' },
        { ...ok, kind: 'exec' },
        { ...ok, service: '../../etc' },
        { ...ok, lines: -1 },
        ...Array.from({ length: 10 }, (_, i) => ({ ...ok, id: 100 + i })),
      ],
    };
    const taken = operationsIn(answer);
    assert.deepEqual(taken[0], { ...ok, lines: 1000 });
    assert.equal(taken.length, 4, 'the first 8, of which 4 are well-formed');
    assert.deepEqual(operationsIn('nonsense'), []);
    assert.deepEqual(operationsIn(null), []);
  });
});

describe('RemoteOperations', () => {
  it("sends a service's last lines", async () => {
    const engine = await engineWithWeb();
    const { operations, answers } = runner(engine, ['logs', 'restart']);
    await operations.take([{ id: 7, kind: 'logs', deployment: 'iot', service: 'web', lines: 2 }]);
    assert.deepEqual(answers, [{ id: 7, result: { lines: ['two', 'three'] } }]);
  });

  it('refuses a kind ferryd.yaml does not allow, and a container not Ferry runs here', async () => {
    const engine = await engineWithWeb();
    const { operations, answers } = runner(engine, ['logs']);
    await operations.take([
      { id: 1, kind: 'restart', deployment: 'iot', service: 'web' },
      { id: 2, kind: 'logs', deployment: 'other', service: 'db', lines: 10 },
    ]);
    assert.match(answers[0]?.result.error ?? '', /does not allow 'restart'/);
    assert.match(answers[1]?.result.error ?? '', /no container of other\/db here/);
    assert.ok(!engine.calls.some((c) => c.startsWith('restart')));
  });

  it('restarts once, however often the hub hands the operation out, resending its result', async () => {
    const engine = await engineWithWeb();
    let deliver = false;
    const { operations, answers } = runner(engine, ['restart'], () => deliver);
    const restart = { id: 3, kind: 'restart' as const, deployment: 'iot', service: 'web' };
    await operations.take([restart]);
    deliver = true;
    await operations.take([restart]);
    await operations.take([restart]);
    assert.equal(engine.calls.filter((c) => c.startsWith('restart')).length, 1);
    assert.deepEqual(
      answers.map((a) => a.id),
      [3, 3],
      'answered again once the hub took it',
    );
  });
});
