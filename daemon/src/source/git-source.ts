// The fleet repository as ferryd sees it: a cheap remote check (one ref advertisement), a shallow
// single-branch fetch only when the branch moved, and readers for any fetched commit.
import * as fs from 'node:fs';
import { mkdir } from 'node:fs/promises';
import git, { type HttpClient } from 'isomorphic-git';
import { FerryError } from '#kernel/errors.js';
import type { AuthConfig } from '../config/daemon-config.js';
import { readCredentials } from '#kernel/read-credentials.js';
import { boundedGitHttp, type GitHttpLimits } from './bounded-git-http.js';
import { GitTreeReader } from '#kernel/source/git-tree-reader.js';

export interface GitSourceOptions {
  readonly url: string;
  readonly branch: string;
  /** Fleet root inside the repository. */
  readonly path: string;
  readonly auth?: AuthConfig;
  /** Local bare repository ferryd fetches into (inside the state dir). */
  readonly gitdir: string;
  /** What the git server may send; defaults suit a gateway (pack-limits.ts). */
  readonly limits?: GitHttpLimits;
}

const DEFAULT_LIMITS: GitHttpLimits = {
  maxObjectBytes: 16 * 1024 * 1024,
  maxPackBytes: 64 * 1024 * 1024,
  idleMs: 60_000,
};

export interface SyncResult {
  readonly revision: string;
  /** False when the remote branch had not moved and nothing was fetched. */
  readonly fetched: boolean;
}

/** How many commits a deepening fetch adds when `rollout.previous` is older than what we have. */
const DEEPEN_BY = 50;

export class GitSource {
  #known: string | undefined;
  readonly #http: HttpClient;

  constructor(readonly options: GitSourceOptions) {
    this.#http = boundedGitHttp(options.limits ?? DEFAULT_LIMITS);
  }

  async #authArgs() {
    if (!this.options.auth) return {};
    const credentials = await readCredentials(this.options.auth);
    return { onAuth: () => credentials };
  }

  /** The commit the remote branch points at: one small request. */
  async remoteHead(): Promise<string> {
    const ref = `refs/heads/${this.options.branch}`;
    const refs = await git
      .listServerRefs({
        http: this.#http,
        url: this.options.url,
        prefix: ref,
        protocolVersion: 2,
        ...(await this.#authArgs()),
      })
      .catch((error: Error) => {
        throw new FerryError('FERRY_SOURCE', `cannot reach ${this.options.url}: ${error.message}`, {
          url: this.options.url,
        });
      });
    const head = refs.find((r) => r.ref === ref);
    if (!head)
      throw new FerryError(
        'FERRY_SOURCE',
        `branch '${this.options.branch}' not found at ${this.options.url}`,
      );
    return head.oid;
  }

  /** Fetches the branch when it moved; returns the commit to apply. */
  async sync(): Promise<SyncResult> {
    const head = await this.remoteHead();
    if (head === this.#known || (await this.#has(head))) {
      this.#known = head;
      return { revision: head, fetched: false };
    }
    await this.#fetch({ depth: 1 });
    this.#known = head;
    return { revision: head, fetched: true };
  }

  /**
   * Makes `commit` (named by the beacon) available: fetched with the branch when it is not here,
   * with more history when the branch has moved past it. Throws when the branch lacks it.
   */
  async syncTo(commit: string): Promise<SyncResult> {
    if (await this.#has(commit)) return { revision: commit, fetched: false };
    await this.#fetch({ depth: 1 });
    if (!(await this.#has(commit))) await this.deepen();
    if (!(await this.#has(commit)))
      throw new FerryError(
        'FERRY_SOURCE',
        `branch '${this.options.branch}' at ${this.options.url} does not have ${commit.slice(0, 12)}, the commit the beacon names`,
        { url: this.options.url, to: commit },
      );
    this.#known = commit;
    return { revision: commit, fetched: true };
  }

  /** Fetches more history, for a `rollout.previous` older than the shallow clone. */
  async deepen(): Promise<void> {
    await this.#fetch({ depth: DEEPEN_BY, relative: true });
  }

  /** A commit object as stored (for signature checks), or undefined when it is not here. */
  async rawCommit(oid: string): Promise<string | undefined> {
    const found = await git
      .readObject({ fs, gitdir: this.options.gitdir, oid, format: 'content' })
      .catch(() => undefined);
    if (!found || found.type !== 'commit' || !(found.object instanceof Uint8Array))
      return undefined;
    return Buffer.from(found.object).toString('utf8');
  }

  reader(revision: string): Promise<GitTreeReader> {
    return GitTreeReader.open({ gitdir: this.options.gitdir, root: this.options.path }, revision);
  }

  async #has(oid: string): Promise<boolean> {
    return git
      .readCommit({ fs, gitdir: this.options.gitdir, oid })
      .then(() => true)
      .catch(() => false);
  }

  async #fetch(depth: { depth: number; relative?: boolean }): Promise<void> {
    const { gitdir, url, branch } = this.options;
    await mkdir(gitdir, { recursive: true });
    if (!fs.existsSync(`${gitdir}/HEAD`))
      await git.init({ fs, gitdir, bare: true, defaultBranch: branch });
    // `force` keeps the remote in step with ferryd.yaml when source.url is edited.
    await git.addRemote({ fs, gitdir, remote: 'origin', url, force: true });
    const result = await git
      .fetch({
        fs,
        http: this.#http,
        gitdir,
        remote: 'origin',
        ref: branch,
        singleBranch: true,
        tags: false,
        ...depth,
        ...(await this.#authArgs()),
      })
      .catch((error: Error) => {
        throw new FerryError('FERRY_SOURCE', `fetch from ${url} failed: ${error.message}`, { url });
      });
    if (result.fetchHead) {
      await git.writeRef({
        fs,
        gitdir,
        ref: `refs/remotes/origin/${branch}`,
        value: result.fetchHead,
        force: true,
      });
    }
  }
}
