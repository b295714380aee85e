// How the fleet loader reads a repository: a directory on disk or the tree of a git commit.
// Paths are relative to the fleet root and already normalised by repoPath().

/** Files larger than this are refused before they are read into memory. */
export const MAX_FLEET_FILE_BYTES = 1024 * 1024;

/** What is at a path of the repository; symlinks are reported as such, never followed. */
export type EntryKind = 'file' | 'executable' | 'folder' | 'symlink';

export interface FleetReader {
  /** The commit being read, or null for a plain directory. */
  readonly revision: string | null;
  /** Contents of a file, or undefined when there is no such file. */
  readFile(path: string): Promise<string | undefined>;
  /** Names of the entries of a folder; empty when there is no such folder. */
  listFolder(path: string): Promise<string[]>;
  /** What is at `path`, or undefined when nothing is. */
  kindOf(path: string): Promise<EntryKind | undefined>;
  /** The bytes of a file, refused past `maxBytes` before they are read whole. */
  readBytes(path: string, maxBytes: number): Promise<Buffer | undefined>;
  /** The same fleet root at another revision (commit, short commit, branch or tag). */
  atRevision(revision: string): Promise<FleetReader>;
}
