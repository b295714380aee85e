// A failed container's output: the newest lines within bounds, and the engine's multiplexed
// stdout/stderr frames turned back into text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  boundedLines,
  FAILURE_LOG_CHARS,
  FAILURE_LOG_LINE_CHARS,
  FAILURE_LOG_LINES,
} from '#kernel/failure-log.js';
import { demuxOutput } from '../../daemon/src/apply/container-output.js';

const frame = (stream: 1 | 2, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('boundedLines', () => {
  it('keeps the newest 200 lines, oldest first, without the trailing empty line', () => {
    const output = Array.from({ length: 500 }, (_, i) => `n${i}`).join('\n') + '\n';
    const lines = boundedLines(output);
    assert.equal(lines.length, FAILURE_LOG_LINES);
    assert.equal(lines[0], 'n300');
    assert.equal(lines.at(-1), 'n499');
  });

  it('cuts a very long line and stops at the size bound, keeping the newest', () => {
    const long = 'x'.repeat(50_000);
    const lines = boundedLines(`${long}\n`.repeat(100) + 'last');
    assert.equal(lines.at(-1), 'last');
    assert.equal(lines[0]?.length, FAILURE_LOG_LINE_CHARS + 1);
    assert.ok(lines.join('\n').length <= FAILURE_LOG_CHARS);
  });

  it('reads CRLF output and keeps empty lines in the middle', () => {
    assert.deepEqual(boundedLines('a\r\n\r\nb\r\n'), ['a', '', 'b']);
    assert.deepEqual(boundedLines(''), []);
  });
});

describe('demuxOutput', () => {
  it('joins stdout and stderr frames in the order the engine sent them', () => {
    const raw = Buffer.concat([frame(1, 'starting\n'), frame(2, 'fatal: no DB\n')]);
    assert.equal(demuxOutput(raw), 'starting\nfatal: no DB\n');
  });

  it('passes the raw text of a TTY container through', () => {
    assert.equal(demuxOutput(Buffer.from('hello from a tty\n')), 'hello from a tty\n');
  });

  it('keeps what arrived of a frame cut short by the read bound', () => {
    const whole = frame(1, 'complete line\n');
    const cut = frame(2, 'this one is cut').subarray(0, 12);
    assert.equal(demuxOutput(Buffer.concat([whole, cut])), 'complete line\nthis');
  });
});
