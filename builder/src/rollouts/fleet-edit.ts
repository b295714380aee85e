// The controller's edits of fleet.yaml, made in the text at the positions the YAML parser reports,
// so that comments, order and formatting stay exactly as the operators wrote them: a commit's
// diff is the one value that changed (re-printing the document would reformat it).
import { isMap, isNode, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { FerryError } from '#kernel/errors.js';

export type RolloutEdit =
  { readonly kind: 'promote'; readonly to: number } | { readonly kind: 'pause' };

function rolloutOf(text: string, deployment: string): YAMLMap {
  const document = parseDocument(text);
  const deployments = document.get('deployments');
  if (!isSeq(deployments)) throw new FerryError('FERRY_INVALID', 'fleet.yaml has no deployments');
  const item = deployments.items.find((d) => isMap(d) && d.get('name') === deployment);
  const rollout = isMap(item) ? item.get('rollout') : undefined;
  if (!isMap(rollout))
    throw new FerryError('FERRY_INVALID', `deployment ${deployment} has no rollout in fleet.yaml`);
  return rollout;
}

/** `text` with `key: value` set in the map: the value replaced where it is, or a pair added. */
function setInMap(text: string, map: YAMLMap, key: string, value: string): string {
  const existing = map.get(key, true);
  if (isScalar(existing) && existing.range)
    return text.slice(0, existing.range[0]) + value + text.slice(existing.range[1]);
  const [start, end] = map.range ?? [0, 0];
  if (map.flow) {
    const close = text.lastIndexOf('}', end);
    const before = text.slice(start, close);
    const padded = /\s$/.test(before) ? ' ' : '';
    return `${text.slice(0, start)}${before.trimEnd()}, ${key}: ${value}${padded}${text.slice(close)}`;
  }
  // A block map: a new line at the indentation of its first key, after its last pair.
  const first = map.items[0]?.key;
  const keyStart = isScalar(first) && first.range ? first.range[0] : start;
  const indent = keyStart - (text.lastIndexOf('\n', keyStart - 1) + 1);
  const last = map.items.at(-1)?.value;
  const lastEnd = isNode(last) && last.range ? last.range[1] : end;
  const lineEnd = text.indexOf('\n', lastEnd);
  const at = lineEnd < 0 ? text.length : lineEnd;
  return `${text.slice(0, at)}\n${' '.repeat(indent)}${key}: ${value}${text.slice(at)}`;
}

/** fleet.yaml with the edit made to `deployment`'s rollout. */
export function editRollout(text: string, deployment: string, edit: RolloutEdit): string {
  const rollout = rolloutOf(text, deployment);
  return edit.kind === 'promote'
    ? setInMap(text, rollout, 'percent', String(edit.to))
    : setInMap(text, rollout, 'paused', 'true');
}
