import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interpolate, InterpolationError } from '#kernel/fleet/interpolate.js';

const vars: Record<string, string> = { FLOOR: '1', EMPTY: '', NAME: 'gw' };
const lookup = (name: string) => vars[name];

describe('interpolate', () => {
  it('fills ${VAR} and $VAR from the device variables', () => {
    assert.equal(interpolate('floor-${FLOOR}', lookup), 'floor-1');
    assert.equal(interpolate('$NAME/x', lookup), 'gw/x');
  });

  it('uses :- defaults when unset or empty, - defaults only when unset', () => {
    assert.equal(interpolate('${MISSING:-8080}', lookup), '8080');
    assert.equal(interpolate('${EMPTY:-fallback}', lookup), 'fallback');
    assert.equal(interpolate('${EMPTY-fallback}', lookup), '');
    assert.equal(interpolate('${FLOOR:-9}', lookup), '1');
  });

  it('expands nested defaults', () => {
    assert.equal(interpolate('${MISSING:-${NAME}-x}', lookup), 'gw-x');
  });

  it('rejects a missing variable without a default, naming it', () => {
    assert.throws(
      () => interpolate('${MISSING}', lookup),
      (error: unknown) =>
        error instanceof InterpolationError &&
        error.variable === 'MISSING' &&
        /MISSING is not set/.test(error.message),
    );
    assert.throws(() => interpolate('$MISSING', lookup), /MISSING is not set/);
  });

  it('reports the message of ${VAR:?message} and ${VAR?message}', () => {
    assert.throws(
      () => interpolate('${MISSING:?set it in devices/}', lookup),
      /MISSING is not set for this device: set it in devices\//,
    );
    assert.throws(() => interpolate('${EMPTY:?must not be empty}', lookup), /must not be empty/);
    assert.equal(interpolate('${EMPTY?unused}', lookup), '');
  });

  it('supports :+ and + alternatives', () => {
    assert.equal(interpolate('${FLOOR:+yes}', lookup), 'yes');
    assert.equal(interpolate('${EMPTY:+yes}', lookup), '');
    assert.equal(interpolate('${EMPTY+yes}', lookup), 'yes');
  });

  it('keeps $$ as a literal dollar and leaves lone $ alone', () => {
    assert.equal(interpolate('cost $$5 and $ 3', lookup), 'cost $5 and $ 3');
  });

  it('rejects unterminated and malformed expressions', () => {
    assert.throws(() => interpolate('${FLOOR', lookup), /unterminated/);
    assert.throws(() => interpolate('${1BAD}', lookup), /invalid interpolation/);
  });
});
