import { posix } from 'node:path';

/**
 * Normalises a path written in a fleet file to a path relative to the fleet root, or returns
 * undefined when it is absolute or climbs out of the root (`stack: ../..`). Everything Ferry reads
 * from a repository goes through here, so nothing outside it can be named.
 */
export function repoPath(path: string): string | undefined {
  if (path.startsWith('/') || path.includes('\0') || path.includes('\\')) return undefined;
  const normalised = posix.normalize(path).replace(/\/+$/, '');
  if (normalised === '..' || normalised.startsWith('../')) return undefined;
  return normalised === '' ? '.' : normalised;
}

/** Joins a folder and a relative path, both inside the fleet root. */
export function repoJoin(folder: string, path: string): string | undefined {
  if (path.startsWith('/')) return undefined;
  return repoPath(folder === '.' ? path : `${folder}/${path}`);
}
