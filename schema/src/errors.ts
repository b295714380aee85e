// The catalogue of errors that cross module boundaries in Ferry. Each has a stable `code` that
// scripts and tests branch on, and structured `data`; docs/errors.md lists them.
import { formatProblem, type Problem } from './problem.js';

export type FerryErrorCode =
  | 'FERRY_INVALID'
  | 'FERRY_NOT_FOUND'
  | 'FERRY_CONFIG'
  | 'FERRY_SOURCE'
  | 'FERRY_ENGINE'
  | 'FERRY_REGISTRY'
  | 'FERRY_DISK'
  | 'FERRY_BUILD'
  | 'FERRY_USAGE';

export class FerryError extends Error {
  readonly code: FerryErrorCode;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: FerryErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.name = 'FerryError';
    this.code = code;
    this.data = data;
  }
}

/** Input (fleet files, compose files, ferryd.yaml) failed validation; every problem is listed. */
export class InvalidInputError extends FerryError {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    const first = problems[0];
    const summary = first ? formatProblem(first) : 'invalid input';
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super('FERRY_INVALID', summary + more, { problems });
    this.name = 'InvalidInputError';
    this.problems = problems;
  }
}
