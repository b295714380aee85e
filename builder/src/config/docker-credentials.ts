// Registry credentials for `ferry`: the same file `docker login` writes ($DOCKER_CONFIG/config.json,
// else ~/.docker/config.json), so a CI job that can `docker push` can `ferry build --push`.
// Credential helpers (credsStore) are not run; their registries are reached anonymously.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Credentials } from '../../../daemon/src/fetch/registry-auth.js';

interface DockerConfig {
  readonly auths?: Record<string, { auth?: string; username?: string; password?: string }>;
}

function configPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/** Looks up a registry host in the Docker config, read afresh on each call (it is tiny). */
export async function dockerCredentials(host: string): Promise<Credentials | undefined> {
  const text = await readFile(configPath(), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const auths = (JSON.parse(text) as DockerConfig).auths ?? {};
  const entry =
    auths[host] ??
    auths[`https://${host}`] ??
    auths[`http://${host}`] ??
    (host === 'docker.io' ? auths['https://index.docker.io/v1/'] : undefined);
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
