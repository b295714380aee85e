// The decisions the controller carried out, by key, in its state folder: what makes a restarted
// controller (or one committing to a review branch that has not merged yet) do nothing twice.
// A decision is recorded as pending with its commit made in the controller's clone, before that
// commit is pushed (unconfirmed), then confirmed once the push went through, with what must still
// be said of it (the log line, the notification, the hub); delivered, it is done. A controller
// that stopped in between delivers its confirmed decisions first when it starts again, and an
// unconfirmed one once it finds the commit on the branch (it forgets it otherwise: the push never
// happened). So a pushed decision is announced at least once, and one never pushed never is.
import { readJson, writeJsonAtomic } from '#kernel/atomic-json.js';
import type { RolloutDecision } from './decide-rollout.js';

/** Keys kept at most (the oldest go first); a decision is never taken again this far apart. */
const KEPT = 1000;

/** A decision carried out: what is announced of it. */
export interface Outcome {
  readonly key: string;
  readonly deployment: string;
  readonly previous: string;
  readonly decision: RolloutDecision;
  /** The commit that carried it out, when it made one. */
  readonly commit?: string;
  readonly at: string;
  /** Recorded before its commit was pushed: said only once the commit is found on the branch. */
  readonly unconfirmed?: boolean;
}

interface Recorded {
  done: string[];
  pending: Outcome[];
}

export class DecisionLog {
  constructor(private readonly file: string) {}

  async #read(): Promise<Recorded> {
    const parsed = await readJson<Recorded | string[]>(this.file);
    if (parsed === undefined) return { done: [], pending: [] };
    // Before pending decisions were kept, the file was the list of keys done.
    return Array.isArray(parsed) ? { done: parsed, pending: [] } : parsed;
  }

  /** Written whole and synced: a power cut leaves the old record or the new one. */
  async #write(recorded: Recorded): Promise<void> {
    await writeJsonAtomic(this.file, recorded);
  }

  /** Whether the decision was carried out, announced or not yet. */
  async taken(key: string): Promise<boolean> {
    const { done, pending } = await this.#read();
    return done.includes(key) || pending.some((p) => p.key === key);
  }

  /** Decisions carried out and not yet announced (the controller stopped in between). */
  async pending(): Promise<Outcome[]> {
    return (await this.#read()).pending;
  }

  /** Records a decision carried out, to announce. */
  async begin(outcome: Outcome): Promise<void> {
    const recorded = await this.#read();
    await this.#write({ ...recorded, pending: [...recorded.pending, outcome] });
  }

  /** Records that the decision's commit was pushed. */
  async confirm(key: string): Promise<void> {
    const recorded = await this.#read();
    await this.#write({
      ...recorded,
      pending: recorded.pending.map((p) => {
        if (p.key !== key) return p;
        const { unconfirmed: _, ...confirmed } = p;
        return confirmed;
      }),
    });
  }

  /** Forgets a decision whose commit never reached the branch: it may be taken again. */
  async abandon(key: string): Promise<void> {
    const recorded = await this.#read();
    await this.#write({ ...recorded, pending: recorded.pending.filter((p) => p.key !== key) });
  }

  /** Records a decision announced. */
  async done(key: string): Promise<void> {
    const recorded = await this.#read();
    await this.#write({
      done: [...recorded.done, key].slice(-KEPT),
      pending: recorded.pending.filter((p) => p.key !== key),
    });
  }
}
