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

/** Every code, for the catalogue test (each one documented in docs/errors.md). */
export const FERRY_ERROR_CODES: readonly FerryErrorCode[] = [
  'FERRY_INVALID',
  'FERRY_NOT_FOUND',
  'FERRY_CONFIG',
  'FERRY_SOURCE',
  'FERRY_ENGINE',
  'FERRY_REGISTRY',
  'FERRY_DISK',
  'FERRY_BUILD',
  'FERRY_USAGE',
];

export interface FerryErrorOptions {
  /** The error this one explains (kept for logs, never shown in place of the message). */
  readonly cause?: unknown;
  /** Whether trying the same thing again may succeed (a 503, a reset link); default false. */
  readonly retryable?: boolean;
}

export class FerryError extends Error {
  readonly code: FerryErrorCode;
  readonly data: Readonly<Record<string, unknown>>;
  readonly retryable: boolean;

  constructor(
    code: FerryErrorCode,
    message: string,
    data: Record<string, unknown> = {},
    options: FerryErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FerryError';
    this.code = code;
    this.data = data;
    this.retryable = options.retryable ?? false;
  }
}

/** The exit code both CLIs use for an error (docs/errors.md): 2 for a wrong command or config. */
export function exitCodeFor(error: unknown): 1 | 2 {
  return error instanceof FerryError &&
    (error.code === 'FERRY_USAGE' || error.code === 'FERRY_CONFIG')
    ? 2
    : 1;
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
