// isomorphic-git's HTTP client with ferryd's limits around every answer from the git server: a
// fetch's pack is inspected as it streams (pack-limits.ts), any other answer (ref advertisements)
// is capped in bytes, and a server that stops sending is given up on.
import http from 'isomorphic-git/http/node';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { FerryError } from '../../../schema/src/errors.js';
import { PackInspector, type PackLimits } from './pack-limits.js';

/** Ref advertisements and other small answers. */
const MAX_OTHER_BYTES = 4 * 1024 * 1024;

export interface GitHttpLimits extends PackLimits {
  /** Longest wait for the next bytes of an answer. */
  readonly idleMs: number;
}

export function boundedGitHttp(limits: GitHttpLimits): HttpClient {
  return {
    async request(request: GitHttpRequest): Promise<GitHttpResponse> {
      const response = await http.request(request);
      if (!response.body) return response;
      const pack = request.method === 'POST' && request.url.endsWith('/git-upload-pack');
      return { ...response, body: bounded(response.body, pack, limits, request.url) };
    },
  };
}

async function* bounded(
  body: AsyncIterableIterator<Uint8Array>,
  pack: boolean,
  limits: GitHttpLimits,
  url: string,
): AsyncIterableIterator<Uint8Array> {
  const inspector = pack ? new PackInspector(limits) : undefined;
  let total = 0;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new FerryError('FERRY_SOURCE', `${url}: no data for ${limits.idleMs / 1000} s`, {
              url,
            }),
          ),
        limits.idleMs,
      );
    });
    let next: IteratorResult<Uint8Array>;
    try {
      next = await Promise.race([body.next(), idle]);
    } catch (error) {
      await body.return?.();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (next.done) break;
    total += next.value.length;
    try {
      if (inspector) inspector.push(next.value);
      else if (total > MAX_OTHER_BYTES)
        throw new FerryError('FERRY_SOURCE', `${url}: answer larger than ${MAX_OTHER_BYTES} bytes`);
    } catch (error) {
      await body.return?.();
      throw error;
    }
    yield next.value;
  }
  inspector?.end();
}
