// The systemd unit: a bad configuration is not restarted in a loop, and the hardening stays.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { FERRYD_NODE_FLAGS } from '../../daemon/src/cli/node-flags.js';

const unit = await readFile(
  new URL('../../../daemon/install/ferryd.service', import.meta.url),
  'utf8',
);
const settings = new Map(
  unit
    .split('\n')
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

describe('ferryd.service', () => {
  it('does not restart a configuration ferryd refuses (exit 2), nor forever', () => {
    // RestartPreventExitStatus does not cover ExecStartPre: a check there restarts in a loop.
    assert.equal(settings.get('ExecStartPre'), undefined);
    assert.equal(settings.get('RestartPreventExitStatus'), '2');
    assert.equal(settings.get('Restart'), 'on-failure');
    assert.ok(Number(settings.get('StartLimitBurst')) > 0);
  });

  it("starts ferryd with ferryd's node flags, as the image does", async () => {
    const flags = FERRYD_NODE_FLAGS.join(' ');
    assert.equal(
      settings.get('ExecStart'),
      `/usr/bin/node ${flags} /opt/ferry/bin/ferryd.js run --config /etc/ferry/ferryd.yaml`,
    );
    const dockerfile = await readFile(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    const entrypoint = /^ENTRYPOINT (.*)$/m.exec(dockerfile)?.[1] ?? '';
    assert.deepEqual(JSON.parse(entrypoint), [
      'node',
      ...FERRYD_NODE_FLAGS,
      '/opt/ferry/bin/ferryd.js',
    ]);
  });

  it('keeps its hardening, each setting explained', () => {
    const wanted: [string, string][] = [
      ['ProtectSystem', 'strict'],
      ['NoNewPrivileges', 'true'],
      ['ProtectKernelTunables', 'true'],
      ['RestrictNamespaces', 'true'],
      ['SystemCallFilter', '@system-service'],
    ];
    for (const [key, value] of wanted) assert.equal(settings.get(key), value, key);
    assert.doesNotMatch(settings.get('CapabilityBoundingSet') ?? '', /CAP_SYS_ADMIN|CAP_NET_ADMIN/);
    // Every block of settings has a comment above it.
    const blocks = unit
      .split(/\n\s*\n/)
      .filter((b) => /^[A-Za-z]+=/m.test(b) && !b.startsWith('[Install]'));
    for (const block of blocks) assert.match(block, /^#/m, block.split('\n')[0] ?? '');
  });
});
