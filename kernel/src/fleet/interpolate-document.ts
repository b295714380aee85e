import { InterpolationError, interpolate, type Lookup } from './interpolate.js';
import type { ProblemSink } from './problem-sink.js';

/**
 * Interpolates `text`, reporting every variable that fails (not only the first): each failing
 * variable is reported, then taken as empty so the next one shows. Returns `text` on failure.
 */
function interpolateAll(text: string, lookup: Lookup, report: (message: string) => void): string {
  const failed = new Set<string>();
  for (let round = 0; round < 32; round += 1) {
    try {
      const value = interpolate(text, (name) => (failed.has(name) ? '' : lookup(name)));
      return failed.size === 0 ? value : text;
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      // Taken as empty, `${VAR:?message}` fails again: that one was reported already.
      if (error.variable !== undefined && failed.has(error.variable)) return text;
      report(error.message);
      if (error.variable === undefined) return text;
      failed.add(error.variable);
    }
  }
  return text;
}

/**
 * Interpolates every string value of a parsed compose document (keys are left alone, as in
 * Compose) and reports each failure at the value's own line. Returns a new document.
 */
export function interpolateDocument(value: unknown, lookup: Lookup, sink: ProblemSink): unknown {
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') return interpolateAll(node, lookup, (m) => sink.add(path, m));
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]),
      );
    }
    return node;
  };
  return walk(value, []);
}
