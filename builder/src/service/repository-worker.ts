// One watched fleet repository in `ferry builder`: a full clone in the work dir (the source date
// of a build context needs history), fetched when the branch moved, built, pinned, pushed back.
import * as fs from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { Logger } from 'pino';
import { readCredentials } from '#kernel/read-credentials.js';
import { FerryError } from '#kernel/errors.js';
import { runBuild } from '../pipeline/run-build.js';
import type { WatchedRepository } from './builder-config.js';

export interface RepositoryStatus {
  readonly name: string;
  /** The last commit of the watched branch that was built. */
  lastBuilt: string | null;
  lastPinCommit: string | null;
  lastError: string | null;
  consecutiveFailures: number;
  builds: number;
}

export class RepositoryWorker {
  readonly status: RepositoryStatus;
  readonly #dir: string;
  readonly #stateFile: string;
  /** Whether the state of an earlier run was read (once, at the first poll). */
  #loaded = false;

  constructor(
    readonly repo: WatchedRepository,
    workDir: string,
    private readonly logger: Logger,
  ) {
    this.#dir = join(workDir, repo.name);
    this.#stateFile = join(workDir, `${repo.name}.state.json`);
    this.status = {
      name: repo.name,
      lastBuilt: null,
      lastPinCommit: null,
      lastError: null,
      consecutiveFailures: 0,
      builds: 0,
    };
  }

  async #auth() {
    if (!this.repo.auth) return {};
    const credentials = await readCredentials(this.repo.auth);
    return { onAuth: () => credentials };
  }

  async #load(): Promise<void> {
    const text = await readFile(this.#stateFile, 'utf8').catch(() => undefined);
    if (text) Object.assign(this.status, JSON.parse(text) as Partial<RepositoryStatus>);
  }

  async #save(): Promise<void> {
    await writeFile(this.#stateFile, JSON.stringify(this.status));
  }

  /** Clones or fetches the branch and checks out its head; returns that commit. */
  async #update(): Promise<string> {
    const { url, branch } = this.repo;
    const dir = this.#dir;
    const auth = await this.#auth();
    const cloned = await fs.promises.stat(join(dir, '.git')).then(
      () => true,
      () => false,
    );
    try {
      if (!cloned) {
        await mkdir(dir, { recursive: true });
        await git.clone({ fs, http, dir, url, ref: branch, singleBranch: true, ...auth });
      } else {
        await git.fetch({ fs, http, dir, url, ref: branch, singleBranch: true, ...auth });
      }
    } catch (error) {
      throw new FerryError('FERRY_SOURCE', `cannot fetch ${url}: ${(error as Error).message}`);
    }
    const head = await git.resolveRef({ fs, dir, ref: `refs/remotes/origin/${branch}` });
    await git.writeRef({ fs, dir, ref: `refs/heads/${branch}`, value: head, force: true });
    await git.checkout({ fs, dir, ref: branch, force: true });
    return head;
  }

  /**
   * One round: build the branch's head if it is new. Never throws; failures back off. True when
   * the branch moved during the build (its pins were not pushed): poll again at once.
   */
  async poll(): Promise<boolean> {
    if (!this.#loaded) {
      await this.#load();
      this.#loaded = true;
    }
    try {
      const head = await this.#update();
      if (head === this.status.lastBuilt) {
        this.status.consecutiveFailures = 0;
        return false;
      }
      return await this.#build(head);
    } catch (error) {
      this.status.lastError = error instanceof Error ? error.message : String(error);
      this.status.consecutiveFailures += 1;
      this.logger.error(
        {
          event: 'builder.failed',
          repo: this.repo.name,
          reason: this.status.lastError,
          failures: this.status.consecutiveFailures,
        },
        'build round failed; backing off',
      );
      return false;
    }
  }

  /** Builds, pins and pushes `head`, and records it as built; true when the branch moved meanwhile. */
  async #build(head: string): Promise<boolean> {
    this.logger.info({ event: 'builder.building', repo: this.repo.name, commit: head }, 'building');
    const { pinCommit, report } = await runBuild(
      this.#dir,
      {
        path: this.repo.path,
        revision: head,
        push: true,
        commit: true,
        author: this.repo.author,
        platform: [...this.repo.platforms],
        cache: true,
        ...(this.repo.pinBranch ? { branch: this.repo.pinBranch } : {}),
      },
      this.logger,
    );
    this.status.builds += 1;
    if (pinCommit && (await this.#pushPins(pinCommit, head)) === 'superseded') return true;
    // The pin commit is on the watched branch when no review branch is used: building it
    // again would find nothing to pin, so it counts as built.
    this.status.lastBuilt = pinCommit && !this.repo.pinBranch ? pinCommit : head;
    this.status.lastPinCommit = pinCommit ?? this.status.lastPinCommit;
    this.status.lastError = null;
    this.status.consecutiveFailures = 0;
    this.logger.info(
      {
        event: 'builder.built',
        repo: this.repo.name,
        commit: head,
        pinCommit,
        images: report.images.length,
      },
      pinCommit ? 'built and pinned' : 'built; pins unchanged',
    );
    await this.#save();
    return false;
  }

  /**
   * Pushes the pin commit made on `head`. A push to the watched branch is refused when a commit
   * came on top of `head` during the build; that is not a failure: its pins are dropped, and the
   * new head is built next (with the layers just built in the cache).
   */
  async #pushPins(commit: string, head: string): Promise<'pushed' | 'superseded'> {
    const ref = this.repo.pinBranch ?? this.repo.branch;
    const refused = (reason: string) =>
      new FerryError('FERRY_SOURCE', `push of ${commit.slice(0, 12)} to ${ref} refused: ${reason}`);
    const result = await git
      .push({
        fs,
        http,
        dir: this.#dir,
        url: this.repo.url,
        ref,
        remoteRef: `refs/heads/${ref}`,
        force: ref !== this.repo.branch,
        ...(await this.#auth()),
      })
      .catch((error: unknown) => ({ ok: false, error: (error as Error).message }));
    if (result.ok) return 'pushed';
    const now = ref === this.repo.branch ? await this.#update() : head;
    if (now === head) throw refused(result.error ?? 'unknown');
    this.logger.info(
      { event: 'builder.superseded', repo: this.repo.name, commit: head, head: now },
      'the branch moved during the build; its pins were not pushed, building the new head',
    );
    return 'superseded';
  }
}
