// Who may call the builder's webhook: with webhook.tokenFile, the request carries the secret in
// one of the forms Git hosts send it: `Authorization: Bearer SECRET`, GitLab's `X-Gitlab-Token:
// SECRET`, or an HMAC-SHA256 of the body keyed with it (GitHub's `X-Hub-Signature-256:
// sha256=HEX`, Gitea's `X-Gitea-Signature: HEX`). Every comparison takes constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const same = (given: string, wanted: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(wanted);
  return a.length === b.length && timingSafeEqual(a, b);
};

const header = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function webhookAuthorised(
  headers: IncomingHttpHeaders,
  body: Buffer,
  secret: string,
): boolean {
  const hmac = createHmac('sha256', secret).update(body).digest('hex');
  const bearer = header(headers, 'authorization');
  const gitlab = header(headers, 'x-gitlab-token');
  const github = header(headers, 'x-hub-signature-256');
  const gitea = header(headers, 'x-gitea-signature');
  return (
    (bearer !== undefined && same(bearer, `Bearer ${secret}`)) ||
    (gitlab !== undefined && same(gitlab, secret)) ||
    (github !== undefined && same(github, `sha256=${hmac}`)) ||
    (gitea !== undefined && same(gitea, hmac))
  );
}
