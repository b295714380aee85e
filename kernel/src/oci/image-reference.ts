// Image references as Compose files write them: [host[:port]/]repository[:tag][@sha256:digest].
import { FerryError } from '../errors.js';

export interface ImageReference {
  readonly host: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DEFAULT_HOST = 'docker.io';

export function parseImageReference(reference: string): ImageReference {
  const [name = '', digest] = reference.split('@');
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new FerryError('FERRY_INVALID', `image '${reference}': digest must be sha256:<64 hex>`, {
      reference,
    });
  }
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const host = hasHost ? first : DEFAULT_HOST;
  let path = hasHost ? name.slice(slash + 1) : name;
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon > path.lastIndexOf('/')) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  if (host === DEFAULT_HOST && !path.includes('/')) path = `library/${path}`;
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(path)) {
    throw new FerryError('FERRY_INVALID', `image '${reference}': invalid repository '${path}'`, {
      reference,
    });
  }
  return {
    host,
    repository: path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

/** What to ask the registry for: the digest when pinned, else the tag (default `latest`). */
export function manifestRef(reference: ImageReference): string {
  return reference.digest ?? reference.tag ?? 'latest';
}
