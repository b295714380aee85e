/** One thing wrong with an input file, located precisely enough for an editor to jump to it. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Dotted path inside the document, e.g. `services.web.ports[0]`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  /** The device the problem applies to, when it only shows for some devices. */
  readonly device?: string;
}

/** `FILE:LINE:COL path: message`, the one format every Ferry command prints problems in. */
export function formatProblem(problem: Problem): string {
  // Line 0: the problem is with the whole thing named (a commit, a host path), not a place in it.
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.col}` : problem.file;
  const path = problem.path ? ` ${problem.path}:` : '';
  const device = problem.device ? ` [device ${problem.device}]` : '';
  return `${where}${path} ${problem.message}${device}`;
}

/** Renders a path of keys and indexes as `a.b[0].c`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
