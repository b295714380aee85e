// The catalogue of errors that cross module boundaries in Ferry. Each has a stable `code` that
// scripts and tests branch on, and structured `data`; docs/errors.md lists them.
import { formatProblem, type Problem } from './problem.js';

/** The structured `data` each code carries (docs/errors.md). Every field is plain JSON. */
export interface FerryErrorData {
  /** `problems` from a validation; the other fields name a single bad value. */
  FERRY_INVALID: {
    readonly problems?: readonly Problem[];
    readonly path?: string;
    readonly reference?: string;
    readonly digest?: string;
  };
  FERRY_NOT_FOUND: { readonly path?: string; readonly revision?: string; readonly image?: string };
  FERRY_CONFIG: { readonly file?: string; readonly host?: string; readonly helper?: string };
  FERRY_SOURCE: {
    readonly url?: string;
    readonly from?: string;
    readonly to?: string;
    readonly limit?: number;
  };
  FERRY_SIGNATURE: { readonly commit?: string; readonly signer?: string };
  FERRY_SOURCE_ROLLBACK: { readonly from?: string; readonly to?: string };
  FERRY_BEACON: { readonly url?: string; readonly sequence?: number; readonly expiresAt?: string };
  FERRY_ENGINE: {
    readonly step?: string;
    readonly reason?: string;
    readonly name?: string;
    readonly image?: string;
  };
  FERRY_HEALTH: {
    readonly service: string;
    readonly container: string;
    /** The container's last lines of output, read before it was removed. */
    readonly log?: readonly string[];
  };
  FERRY_REGISTRY: {
    readonly image?: string;
    readonly host?: string;
    readonly status?: number;
    readonly digest?: string;
    readonly limit?: number;
  };
  FERRY_DISK: {
    readonly path?: string;
    readonly dir?: string;
    readonly needed?: number;
    readonly free?: number;
    readonly reserveBytes?: number;
  };
  FERRY_BUILD: {
    readonly service?: string | undefined;
    readonly dockerfile?: string;
    readonly line?: number | undefined;
    readonly platform?: string;
    readonly step?: number;
    /** The engine's last lines of output. */
    readonly output?: readonly string[];
  };
  FERRY_USAGE: { readonly option?: string };
  FERRY_LISTEN: { readonly listen?: string; readonly setting?: string };
}

export type FerryErrorCode = keyof FerryErrorData;

// A Record must name every key: a code added to FerryErrorData and not here fails to compile.
const CODES: Readonly<Record<FerryErrorCode, true>> = {
  FERRY_INVALID: true,
  FERRY_NOT_FOUND: true,
  FERRY_CONFIG: true,
  FERRY_SOURCE: true,
  FERRY_SIGNATURE: true,
  FERRY_SOURCE_ROLLBACK: true,
  FERRY_BEACON: true,
  FERRY_ENGINE: true,
  FERRY_HEALTH: true,
  FERRY_LISTEN: true,
  FERRY_REGISTRY: true,
  FERRY_DISK: true,
  FERRY_BUILD: true,
  FERRY_USAGE: true,
};

/** Every code, for the catalogue test (each one documented in docs/errors.md). */
export const FERRY_ERROR_CODES = Object.keys(CODES) as readonly FerryErrorCode[];

export interface FerryErrorOptions {
  /** The error this one explains (kept for logs, never shown in place of the message). */
  readonly cause?: unknown;
  /** Whether trying the same thing again may succeed (a 503, a reset link); default false. */
  readonly retryable?: boolean;
}

export class FerryError<C extends FerryErrorCode = FerryErrorCode> extends Error {
  readonly code: C;
  readonly data: FerryErrorData[C];
  readonly retryable: boolean;

  constructor(
    code: C,
    message: string,
    // Every code but FERRY_HEALTH has only optional fields, so `{}` fits them.
    data: FerryErrorData[C] = {} as FerryErrorData[C],
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
export class InvalidInputError extends FerryError<'FERRY_INVALID'> {
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
