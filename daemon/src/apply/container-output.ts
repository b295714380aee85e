// Reading a container's output from the Engine API. Without a TTY the engine multiplexes stdout
// and stderr into frames (1 byte stream, 3 zero bytes, 4 bytes big-endian length, payload);
// docker-modem demuxes only streams, and this answer is one buffer, so it is split here.

/** The text of a logs answer: frames joined in order when multiplexed, else the raw bytes. */
export function demuxOutput(raw: Buffer): string {
  if (!isMultiplexed(raw)) return raw.toString('utf8');
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const length = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, Math.min(raw.length, offset + 8 + length)));
    offset += 8 + length;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A TTY container's output is raw text; a multiplexed one starts with a frame header. */
function isMultiplexed(raw: Buffer): boolean {
  if (raw.length < 8) return false;
  const stream = raw[0] ?? 255;
  return stream <= 2 && raw[1] === 0 && raw[2] === 0 && raw[3] === 0;
}

/** Up to `maxBytes` of a stream, within `timeoutMs`; the stream is closed after. */
export async function readBounded(
  stream: NodeJS.ReadableStream,
  maxBytes: number,
  timeoutMs: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const deadline = setTimeout(() => (stream as { destroy?: () => void }).destroy?.(), timeoutMs);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk.subarray(0, maxBytes - bytes));
      bytes += Math.min(chunk.length, maxBytes - bytes);
      if (bytes >= maxBytes) break;
    }
  } catch {
    // Cut off by the deadline: what came so far is the answer.
  } finally {
    clearTimeout(deadline);
    (stream as { destroy?: () => void }).destroy?.();
  }
  return Buffer.concat(chunks);
}
