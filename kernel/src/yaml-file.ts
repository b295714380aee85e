// YAML from Git enters Ferry here: parsed once, with limits, keeping positions so that every
// later problem can name the line and column it comes from.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { InvalidInputError } from './errors.js';
import type { Problem } from './problem.js';

/** Fleet and config files are small; a larger one is a mistake or an attack. */
export const MAX_YAML_BYTES = 1024 * 1024;
/** Aliases expand on load; a few "billion laughs" levels would exhaust memory. */
const MAX_ALIAS_COUNT = 100;

export type YamlPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface YamlFile {
  readonly file: string;
  readonly value: unknown;
  /** Position of the node at `path` (of its key with `atKey`), or of its nearest ancestor. */
  locate(path: YamlPath, atKey?: boolean): Position;
}

function problemAt(file: string, position: Position, message: string): Problem {
  return { file, line: position.line, col: position.col, path: '', message };
}

/** Parses one YAML file; throws InvalidInputError listing every syntax problem. */
export function parseYamlFile(file: string, text: string): YamlFile {
  const start = { line: 1, col: 1 };
  if (Buffer.byteLength(text) > MAX_YAML_BYTES) {
    const message = `file is larger than ${MAX_YAML_BYTES} bytes`;
    throw new InvalidInputError([problemAt(file, start, message)]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, strict: true, merge: true });
  if (doc.errors.length > 0) {
    throw new InvalidInputError(
      doc.errors.map((error) => {
        const pos = error.linePos?.[0] ?? start;
        const message = error.message.split('\n')[0] ?? error.message;
        return problemAt(file, pos, message.replace(/ at line \d+, column \d+:?$/, ''));
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidInputError([problemAt(file, start, `cannot load document: ${reason}`)]);
  }

  const positionOf = (node: Node | null | undefined): Position | undefined => {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset);
  };

  return {
    file,
    value,
    locate(path, atKey = false) {
      let node = doc.contents as Node | null;
      let best = positionOf(node) ?? start;
      for (const [index, segment] of path.entries()) {
        const last = index === path.length - 1;
        if (isMap(node)) {
          const pair = node.items.find(
            (p) => isScalar(p.key) && String(p.key.value) === String(segment),
          );
          if (!pair) break;
          if (last && atKey) return positionOf(pair.key as Node) ?? best;
          node = pair.value as Node | null;
          best = positionOf(node) ?? positionOf(pair.key as Node) ?? best;
        } else if (isSeq(node) && typeof segment === 'number') {
          node = node.items[segment] as Node | null;
          best = positionOf(node) ?? best;
        } else {
          break;
        }
      }
      return best;
    },
  };
}
