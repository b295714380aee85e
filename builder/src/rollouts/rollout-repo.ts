// The fleet repository as the rollout controller uses it: its own clone (isomorphic-git over
// HTTP), fleet.yaml at the branch head, when a deployment's current step began, and a commit
// (signed with an SSH key when given, so gateways that verify signatures accept it) pushed to
// the branch or to a review branch.
import * as fs from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { parse } from 'yaml';
import { FerryError } from '#kernel/errors.js';
import type { RolloutSpec } from '#kernel/fleet/rollout.js';
import { sshKeygenSign } from '../sign/ssh-keygen-sign.js';

export interface RepoOptions {
  readonly url: string;
  readonly branch: string;
  /** Where the controller keeps its clone. */
  readonly dir: string;
  /** The fleet root inside the repository. */
  readonly root: string;
  /** Commits go here (force-updated from the branch) for a pull request, instead of the branch. */
  readonly reviewBranch?: string;
  /** An OpenSSH private key: commits are signed with it (via ssh-keygen). */
  readonly signingKey?: string;
  readonly author: { readonly name: string; readonly email: string };
}

/** How far back the start of a step is looked for. */
const STEP_HISTORY = 200;
/** How many commits of the review branch are looked at for a decision already pushed there. */
const REVIEW_HISTORY = 20;

export interface FleetDeployment {
  readonly name: string;
  readonly rollout?: RolloutSpec;
}

export class RolloutRepo {
  constructor(readonly options: RepoOptions) {}

  get #fleetPath(): string {
    return this.options.root === '.' ? 'fleet.yaml' : `${this.options.root}/fleet.yaml`;
  }

  /** Brings the clone to the branch's head; returns it. */
  async sync(): Promise<string> {
    const { dir, url, branch } = this.options;
    await mkdir(dir, { recursive: true });
    if (!fs.existsSync(join(dir, '.git')))
      await git.clone({ fs, http, dir, url, ref: branch, singleBranch: true, depth: STEP_HISTORY });
    const fetched = await git.fetch({
      fs,
      http,
      dir,
      url,
      ref: branch,
      singleBranch: true,
      tags: false,
    });
    const head = fetched.fetchHead ?? (await git.resolveRef({ fs, dir, ref: branch }));
    await git.writeRef({ fs, dir, ref: `refs/heads/${branch}`, value: head, force: true });
    await git.checkout({ fs, dir, ref: branch, force: true });
    return head;
  }

  /** fleet.yaml's text at a commit. */
  async fleetText(oid: string): Promise<string | undefined> {
    const found = await git
      .readBlob({ fs, dir: this.options.dir, oid, filepath: this.#fleetPath })
      .catch(() => undefined);
    return found ? Buffer.from(found.blob).toString('utf8') : undefined;
  }

  async deployments(oid: string): Promise<FleetDeployment[]> {
    const text = await this.fleetText(oid);
    const fleet = (text ? parse(text) : {}) as { deployments?: FleetDeployment[] };
    return fleet.deployments ?? [];
  }

  /**
   * Epoch ms the deployment's current step began: the time of the oldest commit, going back from
   * `head`, whose rollout still has the same previous revision and percentage.
   */
  async stepSince(head: string, deployment: string): Promise<number> {
    const commits = await git.log({ fs, dir: this.options.dir, ref: head, depth: STEP_HISTORY });
    const key = async (oid: string) => {
      const rollout = (await this.deployments(oid)).find((d) => d.name === deployment)?.rollout;
      return JSON.stringify([rollout?.previous, rollout?.percent ?? rollout?.steps?.[0]]);
    };
    const current = await key(head);
    let since = (commits[0]?.commit.committer.timestamp ?? 0) * 1000;
    for (const entry of commits) {
      if ((await key(entry.oid)) !== current) break;
      since = entry.commit.committer.timestamp * 1000;
    }
    return since;
  }

  /**
   * Commits fleet.yaml as given on top of the branch head, in the clone; `push` sends it. To a
   * review branch, a commit already there that makes the same change on the same head (pushed by
   * a controller that stopped before it recorded the decision) is taken instead of a new one, so
   * the pull request is not rewritten by a restart: that one comes back as pushed.
   */
  async commitFleet(text: string, message: string): Promise<{ oid: string; pushed: boolean }> {
    const found = await this.#underReview(text);
    if (found) return { oid: found, pushed: true };
    return { oid: await this.#commit(text, message), pushed: false };
  }

  /** The commit of the review branch whose parent is the branch head and whose fleet.yaml is `text`. */
  async #underReview(text: string): Promise<string | undefined> {
    const { dir, branch, reviewBranch } = this.options;
    const reviewed = reviewBranch ? await this.#remoteHead(reviewBranch) : undefined;
    if (!reviewed) return undefined;
    const head = await git.resolveRef({ fs, dir, ref: branch });
    const commits = await git.log({ fs, dir, ref: reviewed, depth: REVIEW_HISTORY });
    for (const entry of commits) {
      if (entry.commit.parent[0] !== head || (await this.fleetText(entry.oid)) !== text) continue;
      await git.writeRef({ fs, dir, ref: `refs/heads/${branch}`, value: entry.oid, force: true });
      await git.checkout({ fs, dir, ref: branch, force: true });
      return entry.oid;
    }
    return undefined;
  }

  /** The head of a remote branch, fetched; undefined when a review branch does not exist (yet). */
  async #remoteHead(ref: string): Promise<string | undefined> {
    const { dir, url, branch } = this.options;
    const fetched = await git
      .fetch({ fs, http, dir, url, ref, singleBranch: true, tags: false })
      .catch((error: unknown) => {
        if (ref === branch) throw error;
        return undefined;
      });
    return fetched?.fetchHead ?? undefined;
  }

  /**
   * Whether a commit made by `commitFleet` reached the remote: it is the head of the branch (or
   * of the review branch) or one of their recent ancestors (found after a restart, when later
   * commits may have come on top, or the review was merged).
   */
  async published(oid: string): Promise<boolean> {
    const { dir, branch, reviewBranch } = this.options;
    for (const ref of reviewBranch ? [reviewBranch, branch] : [branch]) {
      const head = await this.#remoteHead(ref);
      if (!head) continue;
      if (head === oid) return true;
      const found = await git
        .isDescendent({ fs, dir, oid: head, ancestor: oid, depth: STEP_HISTORY })
        .catch(() => false); // a commit not in the clone was never pushed from here
      if (found) return true;
    }
    return false;
  }

  async #commit(text: string, message: string): Promise<string> {
    const { dir, signingKey, author } = this.options;
    await writeFile(join(dir, this.#fleetPath), text);
    await git.add({ fs, dir, filepath: this.#fleetPath });
    return git.commit({
      fs,
      dir,
      message,
      author: { ...author, timestamp: Math.floor(Date.now() / 1000) },
      ...(signingKey ? { signingKey, onSign: sshSign } : {}),
    });
  }

  /** Pushes the clone's branch head (the commit `commitFleet` made) to its target. */
  async push(): Promise<void> {
    const { dir, branch, reviewBranch } = this.options;
    const target = reviewBranch ?? branch;
    const pushed = await git.push({
      fs,
      http,
      dir,
      remote: 'origin',
      ref: branch,
      remoteRef: `refs/heads/${target}`,
      force: reviewBranch !== undefined,
    });
    if (!pushed.ok)
      throw new FerryError(
        'FERRY_SOURCE',
        `push to ${target} refused: ${pushed.error ?? 'unknown'}`,
      );
  }
}

/** isomorphic-git's signing hook, with an SSH key: the namespace git verifies commits in. */
async function sshSign({ payload, secretKey }: { payload: string; secretKey: string }) {
  return { signature: await sshKeygenSign(secretKey, 'git', payload) };
}
