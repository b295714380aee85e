import { InterpolationError, interpolate, type Lookup } from './interpolate.js';
import type { ProblemSink } from './problem-sink.js';

/**
 * Interpolates every string value of a parsed compose document (keys are left alone, as in
 * Compose) and reports each failure at the value's own line. Returns a new document.
 */
export function interpolateDocument(value: unknown, lookup: Lookup, sink: ProblemSink): unknown {
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      try {
        return interpolate(node, lookup);
      } catch (error) {
        if (!(error instanceof InterpolationError)) throw error;
        sink.add(path, error.message);
        return node;
      }
    }
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
