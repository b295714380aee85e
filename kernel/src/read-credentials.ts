// Credentials for git and registries, read from files named in a configuration.
import { readFile } from 'node:fs/promises';

/** An `auth` block of ferryd.yaml or the builder's config: a user and a file with the secret. */
export interface AuthConfig {
  readonly username?: string;
  readonly passwordFile?: string;
  readonly tokenFile?: string;
}

/**
 * Username and secret of an `auth` block, the secret read from its file at the moment of use
 * (so a rotated token is picked up) and never kept in the configuration or logged.
 */
export async function readCredentials(
  auth: AuthConfig,
): Promise<{ username: string; password: string }> {
  const file = auth.passwordFile ?? auth.tokenFile;
  const password = file ? (await readFile(file, 'utf8')).trim() : '';
  return { username: auth.username ?? (auth.tokenFile ? 'token' : ''), password };
}
