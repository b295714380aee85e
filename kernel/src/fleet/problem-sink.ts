import { formatPath, type Problem } from '../problem.js';
import type { YamlFile, YamlPath } from '../yaml-file.js';

/** Collects located problems for one YAML file, so a check can report all of them at once. */
export class ProblemSink {
  readonly problems: Problem[] = [];

  constructor(
    readonly yaml: YamlFile,
    readonly device?: string,
  ) {}

  add(path: YamlPath, message: string, atKey = false): void {
    const position = this.yaml.locate(path, atKey);
    const problem: Problem = { file: this.yaml.file, ...position, path: formatPath(path), message };
    this.problems.push(this.device === undefined ? problem : { ...problem, device: this.device });
  }
}
