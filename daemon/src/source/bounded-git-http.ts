// isomorphic-git's HTTP client with ferryd's limits around every answer from the git server: a
// fetch's pack is inspected as it streams (pack-limits.ts), any other answer (ref advertisements)
// is capped in bytes, and a server that stops sending is given up on.
import http from 'isomorphic-git/http/node';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { FerryError } from '#kernel/errors.js';
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
      // A server that accepts and then says nothing is given up on, before and while it answers.
      const response = await withinIdle(http.request(request), limits.idleMs, request.url);
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
    let next: IteratorResult<Uint8Array>;
    try {
      next = await withinIdle(body.next(), limits.idleMs, url);
    } catch (error) {
      await body.return?.();
      throw error;
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

/** `work`, or FERRY_SOURCE when it has not settled after `idleMs`. */
async function withinIdle<T>(work: Promise<T>, idleMs: number, url: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new FerryError('FERRY_SOURCE', `${url}: no data for ${idleMs / 1000} s`, { url })),
      idleMs,
    );
  });
  try {
    return await Promise.race([work, idle]);
  } finally {
    clearTimeout(timer);
  }
}
