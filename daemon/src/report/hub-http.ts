// Talking to the hub: one JSON POST with a deadline whose answer is read only up to a bound (a
// hub, or whatever answers in its place, cannot make a gateway buffer more), and the device's
// token, which a new gateway gets by enrolling itself when ferryd.yaml gives it the secret.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { readResponseText } from '#kernel/http/read-body.js';

/** The most of a hub's answer that is read. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export interface HubCall {
  readonly url: string;
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
}

/** The status and the JSON answer (undefined when it is not JSON or too long). */
export async function postJson(
  call: HubCall,
  path: string,
  bearer: string,
  body: unknown,
): Promise<{ status: number; answer: unknown }> {
  const response = await (call.fetch ?? fetch)(new URL(path, call.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(call.timeoutMs),
  });
  return { status: response.status, answer: await boundedJson(response) };
}

async function boundedJson(response: Response): Promise<unknown> {
  const text = await readResponseText(response, MAX_ANSWER_BYTES);
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface TokenSource {
  readonly tokenFile: string;
  readonly enrollmentSecretFile?: string;
  readonly device: string;
  readonly logger: Logger;
}

const readTrimmed = (file: string) =>
  readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );

/**
 * The device's token from tokenFile. With none there yet and an enrollment secret configured,
 * the gateway enrolls itself and keeps the token it gets (written whole, readable by root only).
 */
export async function deviceToken(call: HubCall, source: TokenSource): Promise<string> {
  const token = await readTrimmed(source.tokenFile);
  if (token || !source.enrollmentSecretFile) return token;
  const secret = await readTrimmed(source.enrollmentSecretFile);
  if (!secret) return '';
  const { status, answer } = await postJson(call, '/api/v1/enroll', secret, {
    device: source.device,
  });
  const issued = (answer as { token?: unknown } | undefined)?.token;
  if (status !== 200 || typeof issued !== 'string' || !/^[A-Za-z0-9_-]{16,256}$/.test(issued)) {
    source.logger.warn(
      { event: 'report.enroll_refused', status, reason: (answer as { error?: unknown })?.error },
      'the hub did not enroll this gateway',
    );
    return '';
  }
  await mkdir(dirname(source.tokenFile), { recursive: true });
  const temporary = `${source.tokenFile}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${issued}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, source.tokenFile);
  source.logger.info({ event: 'report.enrolled', device: source.device }, 'enrolled with the hub');
  return issued;
}
