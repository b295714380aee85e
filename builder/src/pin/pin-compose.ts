// Pins built images into a compose file by editing only the bytes of each `image:` value, so
// comments, key order, flow style and blank lines stay exactly as the operator wrote them.
// (Re-serialising the YAML document would reflow them.)
import { isMap, isScalar, parseDocument, Scalar, type YAMLMap } from 'yaml';
import { parseImageReference } from '#kernel/oci/image-reference.js';

export interface PinChange {
  readonly service: string;
  readonly before: string;
  readonly after: string;
}

export interface PinResult {
  readonly text: string;
  readonly changes: readonly PinChange[];
}

/** `host/repository`: the key a built image is known by, whatever tag or digest a file names. */
export function repositoryKey(reference: string): string {
  const ref = parseImageReference(reference);
  return `${ref.host}/${ref.repository}`;
}

/** The reference with its digest replaced (or added); the host, repository and tag as written. */
export function pinnedReference(reference: string, digest: string): string {
  return `${reference.split('@')[0]}@${digest}`;
}

function quoted(value: string, type: Scalar['type']): string {
  if (type === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
  if (type === Scalar.QUOTE_SINGLE) return `'${value.replaceAll("'", "''")}'`;
  return value;
}

/**
 * Sets every service image whose repository is in `digests` (by repositoryKey) to that digest.
 * Images written with `${VAR}` are left alone: they are not the builder's to pin.
 */
export function pinCompose(
  text: string,
  digests: ReadonlyMap<string, string>,
  /** The image of a service that builds but names none (defaults.registry), to write in. */
  builtImage?: (service: string) => string | undefined,
): PinResult {
  return pinComposeWith(text, (image) => digests.get(repositoryKey(image)), builtImage);
}

/** Sets every service image for which `digestOf(image, service)` gives a digest to it. */
export function pinComposeWith(
  text: string,
  digestOf: (image: string, service: string) => string | undefined,
  builtImage?: (service: string) => string | undefined,
): PinResult {
  const doc = parseDocument(text, { keepSourceTokens: true });
  const services = doc.get('services', true);
  const edits: { start: number; end: number; value: string }[] = [];
  const changes: PinChange[] = [];
  if (isMap(services)) {
    for (const pair of services.items) {
      const service = isScalar(pair.key) ? String(pair.key.value) : '';
      const image = isMap(pair.value) ? pair.value.get('image', true) : undefined;
      if (image === undefined && isMap(pair.value)) {
        const added = addedImage(text, pair.value, service, digestOf, builtImage);
        if (added) {
          edits.push(added.edit);
          changes.push(added.change);
        }
        continue;
      }
      if (!isScalar(image) || typeof image.value !== 'string' || !image.range) continue;
      const before = image.value;
      if (before.includes('$')) continue;
      const digest = digestOf(before, service);
      if (!digest) continue;
      const after = pinnedReference(before, digest);
      if (after === before) continue;
      edits.push({ start: image.range[0], end: image.range[1], value: quoted(after, image.type) });
      changes.push({ service, before, after });
    }
  }
  let out = text;
  for (const edit of edits.sort((a, b) => b.start - a.start))
    out = out.slice(0, edit.start) + edit.value + out.slice(edit.end);
  return { text: out, changes };
}

/**
 * An `image:` line for a service that builds but names no image, written above its first key
 * with the same indent (block style only; a flow mapping `{ build: . }` is left alone).
 */
function addedImage(
  text: string,
  service: YAMLMap,
  name: string,
  digestOf: (image: string, service: string) => string | undefined,
  builtImage: ((service: string) => string | undefined) | undefined,
): { edit: { start: number; end: number; value: string }; change: PinChange } | undefined {
  const image = builtImage?.(name);
  const start = service.range?.[0];
  if (!image || start === undefined || service.flow || !service.has('build')) return undefined;
  const digest = digestOf(image, name);
  if (!digest) return undefined;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const indent = text.slice(lineStart, start);
  if (!/^ *$/.test(indent)) return undefined;
  const after = pinnedReference(image, digest);
  return {
    edit: { start: lineStart, end: lineStart, value: `${indent}image: ${after}\n` },
    change: { service: name, before: '', after },
  };
}
