// A `ferry hub` child process on a SQLite file of its own, with its operator token, and helpers to
// enroll devices and read its API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { eventually } from './eventually.js';
import { freePort } from './free-port.js';
import { testEnv } from './test-env.js';
import { repoRoot, runCli } from './run-cli.js';

export interface HubSetup {
  readonly dir: string;
  readonly configFile: string;
  readonly url: string;
  readonly operatorToken: string;
}

let databases = 0;

/** A database of its own on the test PostgreSQL, as a URL for hub.yaml. */
export async function postgresDatabase(): Promise<string> {
  const name = `ferry_hub_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: testEnv.postgres });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return testEnv.postgres.replace('/postgres?', `/${name}?`);
}

export type HubDatabase = 'sqlite' | 'postgres';

/** A hub.yaml on `database`; `extra` is appended (e.g. `enrollmentSecretFile: ...`). */
export async function hubSetup(
  database: HubDatabase = 'sqlite',
  heartbeat = '60s',
  extra = '',
): Promise<HubSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-hub-'));
  const url = database === 'sqlite' ? `sqlite:${join(dir, 'hub.db')}` : await postgresDatabase();
  const port = await freePort();
  const operatorToken = `operator-${process.pid}-${Date.now()}`;
  await writeFile(join(dir, 'operator-token'), `${operatorToken}\n`);
  const configFile = join(dir, 'hub.yaml');
  await writeFile(
    configFile,
    `listen: 127.0.0.1:${port}\ndatabase: { url: "${url}" }\noperatorTokenFile: ${join(dir, 'operator-token')}\nheartbeatInterval: ${heartbeat}\n${extra}`,
  );
  return { dir, configFile, url: `http://127.0.0.1:${port}`, operatorToken };
}

export class HubProcess {
  readonly child: ChildProcess;
  logs = '';

  constructor(readonly setup: HubSetup) {
    this.child = spawn(
      process.execPath,
      [`${repoRoot}bin/ferry.js`, 'hub', '--config', setup.configFile],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (chunk: Buffer) => (this.logs += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.logs += chunk.toString()));
  }

  static async start(setup: HubSetup): Promise<HubProcess> {
    const hub = new HubProcess(setup);
    await eventually(
      'the hub answers',
      () =>
        fetch(`${setup.url}/healthz`).then(
          (r) => r.ok || undefined,
          () => undefined,
        ),
      { timeoutMs: 20_000, everyMs: 100, detail: () => hub.logs },
    );
    return hub;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** Enrolls a device with `ferry hub enroll` and returns the token it printed. */
export async function enroll(setup: HubSetup, device: string): Promise<string> {
  const result = await runCli('ferry', ['hub', 'enroll', device, '--config', setup.configFile]);
  if (result.code !== 0) throw new Error(`enroll failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** GET an API path with the operator token. */
export async function hubGet<T>(setup: HubSetup, path: string, token = setup.operatorToken) {
  const response = await fetch(`${setup.url}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** POST a JSON body to an API path with the operator token (or `token`). */
export async function hubPost<T>(
  setup: HubSetup,
  path: string,
  body: unknown,
  token = setup.operatorToken,
) {
  const response = await fetch(`${setup.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}
