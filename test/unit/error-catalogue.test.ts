// The error catalogue and its documentation agree, and both CLIs map errors to exit codes alike.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { exitCodeFor, FERRY_ERROR_CODES, FerryError, InvalidInputError } from '#kernel/errors.js';

describe('the error catalogue', () => {
  it('documents every code in docs/errors.md, and documents no code that does not exist', async () => {
    const docs = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const documented = new Set(docs.match(/FERRY_[A-Z_]+/g));
    assert.deepEqual([...documented].sort(), [...FERRY_ERROR_CODES].sort());
  });

  it('maps a wrong command or an unusable configuration to exit 2, any other failure to 1', () => {
    assert.equal(exitCodeFor(new FerryError('FERRY_USAGE', 'unknown option')), 2);
    assert.equal(exitCodeFor(new FerryError('FERRY_CONFIG', 'cannot read ferryd.yaml')), 2);
    assert.equal(exitCodeFor(new FerryError('FERRY_REGISTRY', 'unreachable')), 1);
    assert.equal(exitCodeFor(new InvalidInputError([])), 1);
    assert.equal(exitCodeFor(new Error('a bug')), 1);
  });

  it('keeps the cause of a wrapped error, and is not retryable unless marked', () => {
    const cause = new Error('ECONNRESET');
    const error = new FerryError('FERRY_SOURCE', 'fetch failed', {}, { cause });
    assert.equal(error.cause, cause);
    assert.equal(error.retryable, false);
    assert.equal(new FerryError('FERRY_REGISTRY', '503', {}, { retryable: true }).retryable, true);
  });
});
