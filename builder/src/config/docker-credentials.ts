// Registry credentials for `ferry`, found the way the docker CLI finds them, so a CI job that can
// `docker push` can `ferry build --push`: the Docker config ($DOCKER_CONFIG/config.json, else
// ~/.docker/config.json), where a registry's `credHelpers` entry wins, then `credsStore`, then
// the `auths` entry. A credential helper is the program `docker-credential-<name>`, asked with
// `get` and the host on standard input; it answers `{"Username", "Secret"}` as JSON.
// Secrets are never logged; a helper is bounded in time and output.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Credentials } from '#kernel/oci/registry-auth.js';
import { FerryError } from '#kernel/errors.js';

interface DockerConfig {
  readonly auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  readonly credsStore?: string;
  readonly credHelpers?: Record<string, string>;
}

const HELPER_TIMEOUT_MS = 10_000;
const HELPER_MAX_OUTPUT = 64 * 1024;

function configPath(env: NodeJS.ProcessEnv): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/** The names a host may be written under in the Docker config. */
function hostKeys(host: string): string[] {
  const keys = [host, `https://${host}`, `http://${host}`];
  return host === 'docker.io' ? [...keys, 'https://index.docker.io/v1/'] : keys;
}

/** Runs `docker-credential-<helper> get` for a host; undefined when it has nothing for it. */
export function helperCredentials(
  helper: string,
  host: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(helper))
    return Promise.reject(
      new FerryError('FERRY_CONFIG', `credential helper '${helper}': invalid name`),
    );
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      ['get'],
      { timeout: HELPER_TIMEOUT_MS, maxBuffer: HELPER_MAX_OUTPUT, env },
      (error, stdout) => {
        // Helpers say "credentials not found" with a non-zero exit: that is "nothing for this host".
        if (error && /not found/i.test(String(stdout))) return resolve(undefined);
        if (error)
          return reject(
            new FerryError(
              'FERRY_CONFIG',
              `credential helper ${program} failed for ${host}: ${(error as Error).message.split('\n')[0]}`,
              { host, helper },
            ),
          );
        try {
          const answer = JSON.parse(stdout) as { Username?: string; Secret?: string };
          resolve(
            answer.Secret
              ? { username: answer.Username ?? '', password: answer.Secret }
              : undefined,
          );
        } catch {
          reject(new FerryError('FERRY_CONFIG', `credential helper ${program} answered no JSON`));
        }
      },
    );
    child.stdin?.end(host);
  });
}

function fromAuths(config: DockerConfig, host: string): Credentials | undefined {
  const entry = hostKeys(host)
    .map((key) => config.auths?.[key])
    .find(Boolean);
  if (!entry) return undefined;
  if (entry.username !== undefined && entry.password !== undefined)
    return { username: entry.username, password: entry.password };
  if (!entry.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0
    ? undefined
    : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Looks up a registry host as the docker CLI would, reading the config afresh on each call. */
export async function dockerCredentials(
  host: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials | undefined> {
  const text = await readFile(configPath(env), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  let config: DockerConfig;
  try {
    config = JSON.parse(text) as DockerConfig;
  } catch {
    throw new FerryError('FERRY_CONFIG', `${configPath(env)}: not JSON`);
  }
  const helper =
    hostKeys(host)
      .map((key) => config.credHelpers?.[key])
      .find(Boolean) ?? config.credsStore;
  if (helper) return (await helperCredentials(helper, host, env)) ?? fromAuths(config, host);
  return fromAuths(config, host);
}
