import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_BACKOFF_MS, nextPollDelay } from '#kernel/poll-delay.js';

describe('nextPollDelay', () => {
  it('polls at the interval, spread by ±10%', () => {
    assert.equal(nextPollDelay(30_000, 0, 0.5), 30_000);
    assert.equal(nextPollDelay(30_000, 0, 0), 27_000);
    assert.equal(nextPollDelay(30_000, 0, 0.9999), 32_999);
  });

  it('doubles with each consecutive failure', () => {
    assert.deepEqual(
      [1, 2, 3].map((n) => nextPollDelay(10_000, n, 0.5)),
      [20_000, 40_000, 80_000],
    );
  });

  it('caps the backoff, and never waits less than the interval', () => {
    assert.equal(nextPollDelay(10_000, 20, 0.5), MAX_BACKOFF_MS);
    assert.equal(nextPollDelay(600_000, 3, 0.5), 600_000);
  });
});
