// Following symlinks the way the kernel does, with the host's / somewhere else (ferryd in a
// container), and refusing tenant binds whose real path leaves the granted folders.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hostRealPath, resolveBindSources } from '../../daemon/src/apply/bind-sources.js';
import type { DesiredState } from '#kernel/fleet/desired-state.js';
import { service } from '../helpers/plan-builders.js';

let root: string;
before(async () => {
  // A small host tree under `root`: /srv/acme with links of every kind, and /etc.
  root = await mkdtemp(join(tmpdir(), 'ferry-host-root-'));
  await mkdir(join(root, 'srv/acme/releases/v2'), { recursive: true });
  await mkdir(join(root, 'etc'), { recursive: true });
  await symlink('/', join(root, 'srv/acme/escape'));
  await symlink('releases/v2', join(root, 'srv/acme/current'));
  await symlink('/srv/acme/releases', join(root, 'srv/acme/abs'));
  await symlink('../..', join(root, 'srv/acme/up'));
  await symlink('loop-b', join(root, 'srv/acme/loop-a'));
  await symlink('loop-a', join(root, 'srv/acme/loop-b'));
});
after(() => rm(root, { recursive: true, force: true }));

describe('hostRealPath', () => {
  const cases: [string, string][] = [
    ['/srv/acme/data', '/srv/acme/data'],
    ['/srv/acme/current', '/srv/acme/releases/v2'],
    ['/srv/acme/current/../v2', '/srv/acme/releases/v2'],
    ['/srv/acme/escape', '/'],
    ['/srv/acme/escape/etc', '/etc'],
    ['/srv/acme/abs/v2', '/srv/acme/releases/v2'],
    ['/srv/acme/up/etc', '/etc'],
    ['/srv/acme/../../etc', '/etc'],
    ['//srv///acme/./current/', '/srv/acme/releases/v2'],
  ];
  for (const [path, real] of cases)
    it(`${path} is ${real} on the host`, async () => {
      assert.equal(await hostRealPath(path, root), real);
    });

  it("keeps an absolute link inside the host root, never in ferryd's own file system", async () => {
    // escape -> '/' means the host's root (= `root` here), not ferryd's.
    assert.equal(
      await hostRealPath('/srv/acme/escape/srv/acme/current', root),
      '/srv/acme/releases/v2',
    );
  });

  it('refuses a symlink loop', async () => {
    await assert.rejects(hostRealPath('/srv/acme/loop-a', root), /too many symlinks/);
  });
});

function tenantState(sources: string[], folders: string[]): DesiredState {
  const base = service('app', { containerName: 'acme_svc.app', networks: [] }, 'svc');
  return {
    device: 'd',
    revision: 'r',
    labels: {},
    deployments: [
      {
        name: 'svc',
        tenant: 'acme',
        stack: 'stacks/svc',
        stackRevision: 'r',
        update: { order: 'start-first', healthTimeoutMs: 1000, rollback: true },
        networks: [],
        volumes: [],
        tenantBinds: {
          folders,
          sites: sources.map((_, index) => ({
            service: 'app',
            index: index + 1,
            at: {
              file: 'stacks/svc/compose.yaml',
              line: 8 + index,
              col: 7,
              path: `services.app.volumes[${index + 1}]`,
            },
          })),
        },
        services: [
          {
            ...base,
            mounts: [
              { type: 'volume', source: 'data', target: '/v', readOnly: false },
              ...sources.map((source) => ({
                type: 'bind' as const,
                source,
                target: '/x',
                readOnly: true,
              })),
            ],
          },
        ],
      },
    ],
  };
}

describe('resolveBindSources', () => {
  it('gives the engine the real path of a link inside the folder', async () => {
    const { state, problems } = await resolveBindSources(
      tenantState(['/srv/acme/current'], ['/srv/acme']),
      root,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      state?.deployments[0]?.services[0]?.mounts.map((m) => m.source),
      ['data', '/srv/acme/releases/v2'],
    );
  });

  it('refuses a bind whose real path leaves the folder, at the line it was written', async () => {
    const { state, problems } = await resolveBindSources(
      tenantState(['/srv/acme/data', '/srv/acme/escape/etc'], ['/srv/acme']),
      root,
    );
    assert.equal(state, undefined);
    assert.deepEqual(
      problems.map((p) => [p.path, p.line]),
      [['services.app.volumes[2]', 9]],
    );
    assert.match(problems[0]!.message, /resolves to \/etc, outside \/srv\/acme/);
  });

  it('checks again what was resolved before (a last-known-good version being restored)', async () => {
    const resolved = await resolveBindSources(
      tenantState(['/srv/acme/current'], ['/srv/acme']),
      root,
    );
    await rm(join(root, 'srv/acme/releases/v2'), { recursive: true });
    await symlink('/etc', join(root, 'srv/acme/releases/v2'));
    const again = await resolveBindSources(resolved.state!, root);
    assert.match(again.problems[0]?.message ?? '', /resolves to \/etc/);
    await rm(join(root, 'srv/acme/releases/v2'));
    await mkdir(join(root, 'srv/acme/releases/v2'));
  });

  it('leaves deployments without a tenant as they are', async () => {
    const state = tenantState(['/etc'], []);
    const { tenant: _t, ...operator } = state.deployments[0]!;
    const result = await resolveBindSources({ ...state, deployments: [operator] }, root);
    assert.deepEqual(result.problems, []);
    assert.equal(result.state?.deployments[0], operator);
  });
});
