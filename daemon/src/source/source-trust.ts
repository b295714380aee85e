// Whether the branch tip may be applied: it descends from the commit this device accepted last
// (kept in state.dir/source.json with the repository it came from), and with `trust` set, every
// commit since is signed by an allowed key (kernel/src/trust). A verdict is kept per tip, so a
// refused tip costs nothing more until the branch moves.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { FerryError } from '#kernel/errors.js';
import { parseAllowedSigners } from '#kernel/trust/allowed-signers.js';
import { checkHistory, type HistoryVerdict } from '#kernel/trust/commit-history.js';
import { openpgpJudge } from '#kernel/trust/openpgp-signature.js';
import type { DaemonConfig } from '../config/daemon-config.js';
import { readJson, writeJsonAtomic } from '#kernel/atomic-json.js';
import type { GitSource } from './git-source.js';

interface Anchor {
  readonly url: string;
  readonly branch: string;
  readonly revision: string;
  readonly at: string;
}

export class SourceTrust {
  readonly #file: string;
  #verdict: { tip: string; anchor: string | undefined; verdict: HistoryVerdict } | undefined;

  constructor(
    private readonly config: DaemonConfig,
    private readonly source: GitSource,
    private readonly logger: Logger,
  ) {
    this.#file = join(config.state.dir, 'source.json');
  }

  /** Undefined when `tip` may be applied (and is now the anchor); else the refusal. */
  async check(tip: string): Promise<FerryError | undefined> {
    const anchor = await this.#anchor();
    const cached = this.#verdict;
    const verdict =
      cached && cached.tip === tip && cached.anchor === anchor
        ? cached.verdict
        : await this.#judge(tip, anchor);
    this.#verdict = { tip, anchor, verdict };
    if (!verdict.ok)
      return new FerryError(
        verdict.code,
        verdict.reason,
        verdict.code === 'FERRY_SIGNATURE'
          ? { commit: verdict.commit }
          : { from: anchor ?? '', to: tip },
      );
    if (tip !== anchor) {
      const { url, branch } = this.config.source;
      await writeJsonAtomic(this.#file, {
        url,
        branch,
        revision: tip,
        at: new Date().toISOString(),
      });
      if (verdict.verified > 0)
        this.logger.info(
          { event: 'source.verified', revision: tip, commits: verdict.verified },
          'signed history verified',
        );
    }
    return undefined;
  }

  async #judge(tip: string, anchor: string | undefined): Promise<HistoryVerdict> {
    const trust = this.config.trust;
    const root = trust
      ? trust.allowedSignersFile
        ? await this.#rootSigners(trust.allowedSignersFile)
        : []
      : undefined;
    const pgp = trust?.openpgpKeysFile
      ? await openpgpJudge(await this.#read(trust.openpgpKeysFile, 'trust.openpgpKeysFile'))
      : undefined;
    return checkHistory({
      tip,
      ...(anchor ? { anchor } : {}),
      ...(root ? { root } : {}),
      ...(pgp ? { pgp } : {}),
      store: {
        commit: (oid) => this.source.rawCommit(oid),
        deepen: () => this.source.deepen().then(() => true),
        signersAt: async (oid) =>
          trust ? (await this.source.reader(oid)).readFile(trust.repositoryFile) : undefined,
      },
    });
  }

  #read(file: string, setting: string): Promise<string> {
    return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new FerryError(
        'FERRY_CONFIG',
        `cannot read ${setting} ${file}: ${error.code ?? error.message}`,
        { file: this.config.file },
      );
    });
  }

  async #rootSigners(file: string) {
    const text = await this.#read(file, 'trust.allowedSignersFile');
    const { signers, problems } = parseAllowedSigners(text);
    for (const problem of problems)
      this.logger.warn({ event: 'trust.signer_ignored', file, line: problem }, 'signer ignored');
    return signers;
  }

  /** The commit accepted last (what a frozen gateway keeps running). */
  anchor(): Promise<string | undefined> {
    return this.#anchor();
  }

  /** The commit accepted last, when it came from this repository and branch. */
  async #anchor(): Promise<string | undefined> {
    const anchor = await readJson<Anchor>(this.#file);
    const { url, branch } = this.config.source;
    return anchor && anchor.url === url && anchor.branch === branch ? anchor.revision : undefined;
  }
}

/** A refused tip as a pass reports it: like a bad commit, the reason naming the commit. */
export function refusedCommit(logger: Logger, revision: string, refusal: FerryError) {
  logger.error(
    { event: 'revision.rejected', revision, code: refusal.code, reason: refusal.message },
    'commit refused; keeping what runs',
  );
  const problem = {
    file: `commit ${revision}`,
    line: 0,
    col: 0,
    path: '',
    message: refusal.message,
  };
  return { revision, problems: [problem] };
}
