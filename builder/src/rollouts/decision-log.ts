// The decisions the controller carried out, by key, in its state folder: what makes a restarted
// controller (or one committing to a review branch that has not merged yet) do nothing twice.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Keys kept at most (the oldest go first); a decision is never taken again this far apart. */
const KEPT = 1000;

export class DecisionLog {
  constructor(private readonly file: string) {}

  async #read(): Promise<string[]> {
    return readFile(this.file, 'utf8').then(
      (text) => JSON.parse(text) as string[],
      () => [],
    );
  }

  async has(key: string): Promise<boolean> {
    return (await this.#read()).includes(key);
  }

  async add(key: string): Promise<void> {
    const keys = [...(await this.#read()), key].slice(-KEPT);
    await mkdir(dirname(this.file), { recursive: true });
    await writeFile(`${this.file}.tmp`, JSON.stringify(keys));
    await rename(`${this.file}.tmp`, this.file);
  }
}
