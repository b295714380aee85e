import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyValues, parseMount, parsePort, splitWords } from '#kernel/fleet/compose-fields.js';

describe('parsePort', () => {
  it('reads the short forms', () => {
    assert.deepEqual(parsePort('8080:80'), {
      ok: { target: 80, published: 8080, protocol: 'tcp' },
    });
    assert.deepEqual(parsePort('7777:7777/udp'), {
      ok: { target: 7777, published: 7777, protocol: 'udp' },
    });
    assert.deepEqual(parsePort('127.0.0.1:8000:80'), {
      ok: { target: 80, published: 8000, protocol: 'tcp', hostIp: '127.0.0.1' },
    });
    assert.deepEqual(parsePort(80), { ok: { target: 80, protocol: 'tcp' } });
    assert.deepEqual(parsePort('9000'), { ok: { target: 9000, protocol: 'tcp' } });
  });

  it('reads the long form', () => {
    assert.deepEqual(parsePort({ target: 80, published: '8080', protocol: 'udp' }), {
      ok: { target: 80, published: 8080, protocol: 'udp' },
    });
  });

  it('rejects ranges and out-of-range ports', () => {
    assert.match(
      (parsePort('8000-8001:8000-8001') as { error: string }).error,
      /ranges are not supported/,
    );
    assert.match((parsePort('70000:80') as { error: string }).error, /outside 1-65535/);
  });
});

describe('parseMount', () => {
  it('tells named volumes from bind mounts and reads the mode', () => {
    assert.deepEqual(parseMount('data:/var/lib/x'), {
      ok: { type: 'volume', source: 'data', target: '/var/lib/x', readOnly: false },
    });
    assert.deepEqual(parseMount('/srv/acme:/data:ro'), {
      ok: { type: 'bind', source: '/srv/acme', target: '/data', readOnly: true },
    });
  });

  it('refuses anonymous volumes and repository-relative binds', () => {
    assert.match((parseMount('/data') as { error: string }).error, /anonymous volume/);
    assert.match((parseMount('./conf:/etc/app') as { error: string }).error, /absolute host path/);
    assert.match((parseMount('data:relative') as { error: string }).error, /absolute path/);
  });
});

describe('keyValues and splitWords', () => {
  it('reads maps and KEY=VALUE lists alike', () => {
    assert.deepEqual(keyValues(['A=1', 'B=x=y', 'C']), { A: '1', B: 'x=y', C: null });
    assert.deepEqual(keyValues({ A: 1, B: true, C: null }), { A: '1', B: 'true', C: null });
  });

  it('splits commands like a shell', () => {
    assert.deepEqual(splitWords(`sh -c 'echo "a b"' x\\ y`), ['sh', '-c', 'echo "a b"', 'x y']);
    assert.deepEqual(splitWords('  run  --flag=""  '), ['run', '--flag=']);
  });
});
