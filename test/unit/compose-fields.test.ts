import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyValues, splitWords } from '#kernel/fleet/compose-fields.js';
import { parseMount } from '#kernel/fleet/compose-mounts.js';
import { parsePorts } from '#kernel/fleet/compose-ports.js';

describe('parsePorts', () => {
  it('reads the short forms', () => {
    assert.deepEqual(parsePorts('8080:80'), {
      ok: [{ target: 80, published: 8080, protocol: 'tcp' }],
    });
    assert.deepEqual(parsePorts('7777:7777/udp'), {
      ok: [{ target: 7777, published: 7777, protocol: 'udp' }],
    });
    assert.deepEqual(parsePorts('127.0.0.1:8000:80'), {
      ok: [{ target: 80, published: 8000, protocol: 'tcp', hostIp: '127.0.0.1' }],
    });
    assert.deepEqual(parsePorts('[::1]:8000:80'), {
      ok: [{ target: 80, published: 8000, protocol: 'tcp', hostIp: '::1' }],
    });
    assert.deepEqual(parsePorts(80), { ok: [{ target: 80, protocol: 'tcp' }] });
    assert.deepEqual(parsePorts('9000'), { ok: [{ target: 9000, protocol: 'tcp' }] });
  });

  it('reads the long form, as `docker compose config` writes it', () => {
    assert.deepEqual(
      parsePorts({ target: 80, published: '8080', protocol: 'udp', mode: 'ingress' }),
      { ok: [{ target: 80, published: 8080, protocol: 'udp' }] },
    );
  });

  it('expands equal ranges port by port, and keeps a host range for one target', () => {
    assert.deepEqual(parsePorts('5683-5685:5683-5685/udp'), {
      ok: [5683, 5684, 5685].map((p) => ({ target: p, published: p, protocol: 'udp' })),
    });
    assert.deepEqual(parsePorts('9000-9010:80'), {
      ok: [{ target: 80, published: 9000, publishedTo: 9010, protocol: 'tcp' }],
    });
    assert.deepEqual(parsePorts({ target: '8000-8001', published: '9000-9001' }), {
      ok: [
        { target: 8000, published: 9000, protocol: 'tcp' },
        { target: 8001, published: 9001, protocol: 'tcp' },
      ],
    });
  });

  it('refuses what is not a port mapping', () => {
    assert.match((parsePorts('70000:80') as { error: string }).error, /outside 1-65535/);
    assert.match((parsePorts('9-1:80') as { error: string }).error, /must go up/);
    assert.match(
      (parsePorts('1-3:1-2') as { error: string }).error,
      /host and container ranges differ/,
    );
    assert.match((parsePorts('http') as { error: string }).error, /not a port mapping/);
  });
});

describe('parseMount', () => {
  it('tells named volumes from bind mounts and reads the mode words', () => {
    assert.deepEqual(parseMount('data:/var/lib/x'), {
      ok: { type: 'volume', source: 'data', target: '/var/lib/x', readOnly: false },
    });
    assert.deepEqual(parseMount('/srv/acme:/data:ro,z'), {
      ok: {
        type: 'bind',
        source: '/srv/acme',
        target: '/data',
        readOnly: true,
        selinux: 'z',
      },
    });
    assert.deepEqual(parseMount('data:/x:nocopy'), {
      ok: { type: 'volume', source: 'data', target: '/x', readOnly: false, noCopy: true },
    });
  });

  it('reads the long form with its bind, volume and tmpfs options', () => {
    assert.deepEqual(
      parseMount({
        type: 'bind',
        source: '/run/udev',
        target: '/run/udev',
        read_only: true,
        bind: { create_host_path: true, propagation: 'rslave' },
      }),
      {
        ok: {
          type: 'bind',
          source: '/run/udev',
          target: '/run/udev',
          readOnly: true,
          createHostPath: true,
          propagation: 'rslave',
        },
      },
    );
    assert.deepEqual(
      parseMount({ type: 'tmpfs', target: '/cache', tmpfs: { size: '64m', mode: 1777 } }),
      {
        ok: {
          type: 'tmpfs',
          source: '',
          target: '/cache',
          readOnly: false,
          tmpfsSizeBytes: 64 * 1024 * 1024,
          tmpfsMode: 0o1777,
        },
      },
    );
  });

  it("refuses anonymous volumes, relative targets, '~' and unknown options", () => {
    assert.match((parseMount('/data') as { error: string }).error, /anonymous volume/);
    assert.match((parseMount('data:relative') as { error: string }).error, /absolute path/);
    assert.match((parseMount('~/x:/x') as { error: string }).error, /home folder/);
    assert.match((parseMount('/x:/x:bogus') as { error: string }).error, /unknown mount option/);
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
