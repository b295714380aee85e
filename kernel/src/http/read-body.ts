// A body, read up to a limit: a sender that goes on past it is cut off, not buffered. For node:http
// messages (requests we serve, answers of the Engine API) and for fetch() answers.
import type { IncomingMessage } from 'node:http';
import { FerryError } from '../errors.js';

export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    total += (chunk as Buffer).byteLength;
    if (total > maxBytes) {
      request.destroy();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): FerryError {
  return new FerryError('FERRY_INVALID', `the body is larger than ${maxBytes} bytes`);
}

/** A fetch() answer's text, or undefined when it runs past `maxBytes` (the rest is not read). */
export async function readResponseText(
  response: Response,
  maxBytes: number,
): Promise<string | undefined> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of response.body ?? []) {
    bytes += chunk.byteLength;
    if (bytes > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
