// Reports waiting for the hub, on disk (state.dir/reports), so they survive a hub outage and a
// ferryd restart and arrive in order. Bounded: past `maxBytes` the oldest go first (a state
// report is a full snapshot, so a newer one supersedes it). Heartbeats never wait here: a late
// heartbeat says nothing.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HubReport } from '#kernel/hub/hub-report.js';
import { writeJsonAtomic } from '#kernel/atomic-json.js';

/** How far ahead the on-disk sequence is leased: one write per this many reports. */
const SEQ_LEASE = 1000;

export class ReportQueue {
  readonly #dir: string;
  #seq: number | undefined;
  #lease = 0;

  constructor(
    stateDir: string,
    private readonly maxBytes: number,
  ) {
    this.#dir = join(stateDir, 'reports');
  }

  /**
   * The next sequence number: it grows across restarts (a gateway's clock cannot be trusted at
   * boot), by leasing a block of numbers on disk at a time.
   */
  async nextSeq(): Promise<number> {
    if (this.#seq === undefined) {
      const leased = await readFile(join(this.#dir, 'seq'), 'utf8').then(Number, () => 0);
      this.#seq = Number.isFinite(leased) ? leased : 0;
      this.#lease = this.#seq;
    }
    this.#seq += 1;
    if (this.#seq >= this.#lease) {
      this.#lease = this.#seq + SEQ_LEASE;
      await writeJsonAtomic(join(this.#dir, 'seq'), this.#lease);
    }
    return this.#seq;
  }

  async push(report: HubReport): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const name = `${String(report.seq).padStart(12, '0')}.json`;
    await writeFile(join(this.#dir, name), JSON.stringify(report));
    await this.#bound();
  }

  /** The names of the waiting reports, oldest first. */
  async #names(): Promise<string[]> {
    return (await readdir(this.#dir).catch(() => [] as string[]))
      .filter((n) => /^\d{12}\.json$/.test(n))
      .sort();
  }

  /** Whether reports wait (the folder is listed, no report read). */
  async waiting(): Promise<boolean> {
    return (await this.#names()).length > 0;
  }

  /** The waiting reports, oldest first. */
  async pending(): Promise<{ name: string; report: HubReport }[]> {
    const names = await this.#names();
    const out: { name: string; report: HubReport }[] = [];
    for (const name of names) {
      const text = await readFile(join(this.#dir, name), 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      try {
        out.push({ name, report: JSON.parse(text) as HubReport });
      } catch {
        await this.remove(name); // torn by a power cut: nothing to send
      }
    }
    return out;
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.#dir, name), { force: true });
  }

  async #bound(): Promise<void> {
    const names = await this.#names();
    const sizes = await Promise.all(names.map((n) => stat(join(this.#dir, n)).then((s) => s.size)));
    let total = sizes.reduce((a, b) => a + b, 0);
    for (const [index, name] of names.entries()) {
      if (total <= this.maxBytes || index === names.length - 1) break;
      await this.remove(name);
      total -= sizes[index]!;
    }
  }
}
