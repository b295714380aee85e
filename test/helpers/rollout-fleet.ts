// A staged rollout's devices as the controller sees them through the hub: eight device ids spread
// over the steps of `iot`, and their state reports (POST /api/v1/reports with their own tokens,
// as ferryd sends them), each saying how the device fares in the current step.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rolloutBucket } from '#kernel/fleet/rollout-bucket.js';
import type { HubSetup } from './hub-process.js';
import { runCli } from './run-cli.js';

/** Eight device ids: two in the 25% step, two more in the 50% step, four after. */
export function fleetIds(tag: string): string[] {
  const all = Array.from({ length: 400 }, (_, i) => `${tag}-${i}`);
  const range = (lo: number, hi: number) =>
    all.filter((id) => rolloutBucket('iot', id) >= lo && rolloutBucket('iot', id) < hi);
  return [...range(0, 25).slice(0, 2), ...range(25, 50).slice(0, 2), ...range(50, 100).slice(0, 4)];
}

/** fleet.yaml with the one deployment `iot` on `ids`, its rollout as given (a flow mapping). */
export function rolloutFleetYaml(ids: readonly string[], rollout: string): string {
  return `apiVersion: ferry/v1\nkind: Fleet\ndeployments:\n  # the building management stack\n  - name: iot\n    stack: stacks/iot\n    target: { devices: [${ids.join(', ')}] }\n    rollout: ${rollout} # staged\n`;
}

export class StepReports {
  #seq = 0;

  constructor(
    private readonly hubUrl: string,
    private readonly tokens: ReadonlyMap<string, string>,
    private readonly ids: readonly string[],
  ) {}

  /** Every device reports: in the step of `percent`, `status`; outside it, converged on previous. */
  async report(percent: number, status: (id: string) => string, code?: string): Promise<void> {
    for (const id of this.ids) {
      const selected = rolloutBucket('iot', id) < percent;
      const state = selected ? status(id) : 'converged';
      const response = await fetch(`${this.hubUrl}/api/v1/reports`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.tokens.get(id)}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(this.#body(id, state, { percent, selected }, code)),
      });
      assert.equal(response.status, 200, await response.text());
    }
  }

  #body(id: string, state: string, rollout: { percent: number; selected: boolean }, code?: string) {
    return {
      v: 1,
      kind: 'state',
      device: id,
      seq: ++this.#seq,
      sentAt: new Date().toISOString(),
      resources: { cpus: 1 },
      identity: { hostname: id, arch: 'arm64', os: 'linux', kernel: '6.1', ferrydVersion: '0.1.0' },
      labels: {},
      revision: 'head',
      converged: state === 'converged',
      deployments: [
        {
          name: 'iot',
          desiredRevision: 'head',
          appliedRevision: 'head',
          status: state,
          ...(state !== 'converged' && code ? { code } : {}),
          rollout,
          services: [],
        },
      ],
      failures: [],
      bytesDownloaded: 0,
    };
  }
}

/** One decision of `ferry rollouts --once`, as it prints them. */
export interface Evaluated {
  readonly deployment: string;
  readonly decision: { readonly action: string; readonly from?: number; readonly to?: number };
  readonly commit?: string;
}

/** `ferry rollouts --once` against the hub and the fleet repository; its decisions. */
export async function rolloutsOnce(
  hub: HubSetup,
  repoUrl: string,
  stateDir: string,
  extra: readonly string[] = [],
): Promise<Evaluated[]> {
  const result = await runCli('ferry', [
    'rollouts',
    '--once',
    '--hub',
    hub.url,
    '--repo',
    repoUrl,
    '--token-file',
    join(hub.dir, 'operator-token'),
    '--state-dir',
    stateDir,
    ...extra,
  ]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Evaluated[];
}
