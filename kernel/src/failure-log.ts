// The output of a container that failed its update, kept before the container is removed: what
// an operator reads first to find out why. Bounded, because it travels in state.json, /status and
// reports to the hub.

/** How many of the last lines of output are kept. */
export const FAILURE_LOG_LINES = 200;
/** A longer line is cut (a binary blob or a minified stack trace says nothing more past this). */
export const FAILURE_LOG_LINE_CHARS = 1000;
/** The whole log at most: the newest lines are kept. */
export const FAILURE_LOG_CHARS = 24 * 1024;

export interface FailureLog {
  readonly service: string;
  readonly container: string;
  /** The last lines the container wrote (stdout and stderr, in order), oldest first. */
  readonly lines: readonly string[];
}

/** The newest lines of `output` within the limits above. */
export function boundedLines(output: string): string[] {
  const lines = output.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const kept: string[] = [];
  let chars = 0;
  for (let i = lines.length - 1; i >= 0 && kept.length < FAILURE_LOG_LINES; i--) {
    const line =
      [...(lines[i] ?? '')].length > FAILURE_LOG_LINE_CHARS
        ? `${[...(lines[i] ?? '')].slice(0, FAILURE_LOG_LINE_CHARS).join('')}…`
        : (lines[i] ?? '');
    chars += line.length + 1;
    if (chars > FAILURE_LOG_CHARS) break;
    kept.push(line);
  }
  return kept.reverse();
}
