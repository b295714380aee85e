// Bounded reading of fetch() answers (hub answers, beacons): the whole text under the limit,
// nothing past it, and the sender is cut off rather than read to its end.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readResponseText } from '../../kernel/src/http/read-body.js';

function answerOf(chunks: string[]): { response: Response; cancelled: () => boolean } {
  let cancelled = false;
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[index++];
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { response: new Response(body), cancelled: () => cancelled };
}

describe('readResponseText', () => {
  it('reads an answer within the limit whole', async () => {
    const { response } = answerOf(['{"a":', '1}']);
    assert.equal(await readResponseText(response, 7), '{"a":1}');
  });

  it('gives nothing for an answer past the limit, and stops reading it', async () => {
    const endless = Array.from({ length: 1000 }, () => 'x'.repeat(1024));
    const { response, cancelled } = answerOf(endless);
    assert.equal(await readResponseText(response, 4096), undefined);
    assert.ok(cancelled(), 'the rest is not read');
  });

  it('reads an empty answer as empty text', async () => {
    assert.equal(await readResponseText(new Response(null), 10), '');
  });
});
