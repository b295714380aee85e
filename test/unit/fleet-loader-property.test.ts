// Property: whatever a commit holds, loading and resolving the fleet ends in a result or in a
// Ferry error with a code and a message, never in a crash. Fleets are generated from a valid one
// by mutations a careless (or hostile) committer makes: values of the wrong type at any key,
// broken YAML, deleted and repeated lines, random text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { FerryError } from '#kernel/errors.js';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { resolveDevice } from '#kernel/fleet/resolve-device.js';
import { fleetFiles, validator } from '../helpers/fleet-builder.js';
import { MemoryReader } from '../helpers/memory-reader.js';

const valid = fleetFiles(
  [
    '  - name: web\n    stack: stacks/web\n    target: { labels: { role: gw } }\n    tenant: acme',
    '  - name: db\n    stack: stacks/db\n    target: { devices: [a] }\n    update: { order: stop-first, healthTimeout: 20s }',
  ].join('\n'),
  { a: 'labels: { role: gw }\nvars: { PORT: "8080" }', b: 'labels: { role: gw }' },
  {
    'stacks/web': `services:
  web:
    image: registry.test/web@sha256:${'1'.repeat(64)}
    ports: ["127.0.0.1:\${PORT:-80}:80"]
    volumes: ["data:/data", "/srv/acme/x:/x:ro"]
    environment: { MODE: prod }
    healthcheck: { test: ["CMD", "true"], interval: 5s }
    depends_on: { cache: { condition: service_healthy } }
  cache:
    image: registry.test/cache:7
    cap_add: [NET_BIND_SERVICE]
volumes:
  data: {}
`,
    'stacks/db': `services:
  db:
    image: registry.test/db:1
    env_file: db.env
    ulimits: { nofile: 1024 }
`,
  },
  'policy:\n  tenants:\n    acme: { bindMounts: [/srv/acme], capabilities: [NET_BIND_SERVICE], ports: ["127.0.0.1:1-65535"] }\n',
);
const base: Record<string, string> = { ...valid, 'stacks/db/db.env': 'A=1\nB="two"\n' };
const paths = Object.keys(base);

type Mutation = (text: string) => string;

/** Sets the value at a random path of the document to `value`. */
function setAt(text: string, choice: number, value: unknown): string {
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: false });
  } catch {
    return text; // already broken by an earlier mutation
  }
  if (doc === null || typeof doc !== 'object') return stringify(value);
  const containers: Record<string, unknown>[] = [];
  const walk = (node: unknown) => {
    if (node !== null && typeof node === 'object') {
      containers.push(node as Record<string, unknown>);
      Object.values(node).forEach(walk);
    }
  };
  walk(doc);
  const target = containers[choice % containers.length]!;
  const keys = Object.keys(target);
  const key = keys.length > 0 ? keys[choice % keys.length]! : 'x';
  target[key] = value;
  return stringify(doc);
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 3 })).map(
    ([choice, value]): Mutation =>
      (text) =>
        setAt(text, choice, value),
  ),
  fc.nat().map((n): Mutation => (text) => {
    const lines = text.split('\n');
    lines.splice(n % Math.max(1, lines.length), 1);
    return lines.join('\n');
  }),
  fc.nat().map((n): Mutation => (text) => {
    const lines = text.split('\n');
    const at = n % Math.max(1, lines.length);
    lines.splice(at, 0, lines[at] ?? '');
    return lines.join('\n');
  }),
  fc.tuple(fc.nat(), fc.string({ maxLength: 12 })).map(([n, insert]): Mutation => (text) => {
    const at = n % (text.length + 1);
    return text.slice(0, at) + insert + text.slice(at);
  }),
  fc.string({ maxLength: 200 }).map(
    (random): Mutation =>
      () =>
        random,
  ),
);

const mutatedFleet = fc
  .array(fc.tuple(fc.constantFrom(...paths), mutation), { minLength: 1, maxLength: 4 })
  .map((changes) => {
    const files = { ...base };
    for (const [path, change] of changes) files[path] = change(files[path] ?? '');
    return files;
  });

function assertFerryError(error: unknown): void {
  assert.ok(
    error instanceof FerryError,
    `not a Ferry error: ${String((error as Error)?.stack ?? error)}`,
  );
  assert.match(error.code, /^FERRY_[A-Z]+$/);
  assert.ok(error.message.length > 0);
}

describe('the fleet loader on mutated fleets (property)', () => {
  it('the valid fleet itself loads and resolves', async () => {
    const fleet = await loadFleet(new MemoryReader(base), validator);
    assert.ok(resolveDevice(fleet, 'a').state);
  });

  it('never throws anything but a Ferry error with a code, loading whole or for one device', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedFleet, async (files) => {
        for (const scope of [undefined, { device: 'a', facts: { arch: 'amd64' } }]) {
          let fleet;
          try {
            fleet = await loadFleet(new MemoryReader(files), validator, scope);
          } catch (error) {
            assertFerryError(error);
            continue;
          }
          for (const device of ['a', 'b', 'stranger']) {
            const result = resolveDevice(fleet, device, { arch: 'amd64' });
            assert.ok(result.state !== undefined || result.problems.length > 0);
          }
        }
      }),
      {
        numRuns: Number(process.env.FERRY_PROPERTY_RUNS ?? 400),
        seed: Number(process.env.FERRY_PROPERTY_SEED ?? 20261130),
      },
    );
  });
});
