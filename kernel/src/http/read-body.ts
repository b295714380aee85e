// A request body, read up to a limit: a sender that goes on past it is cut off, not buffered.
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
