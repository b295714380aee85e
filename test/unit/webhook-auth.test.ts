// The builder's webhook takes the secret as each Git host sends it, and nothing else.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { webhookAuthorised } from '../../builder/src/service/webhook-auth.js';

const secret = 'hook-secret-0123456789';
const body = Buffer.from('{"ref":"refs/heads/main"}');
const hmac = (key: string, data: Buffer) => createHmac('sha256', key).update(data).digest('hex');

describe('webhookAuthorised', () => {
  it('accepts Bearer, GitLab, GitHub and Gitea forms of the secret', () => {
    assert.ok(webhookAuthorised({ authorization: `Bearer ${secret}` }, body, secret));
    assert.ok(webhookAuthorised({ 'x-gitlab-token': secret }, body, secret));
    assert.ok(
      webhookAuthorised({ 'x-hub-signature-256': `sha256=${hmac(secret, body)}` }, body, secret),
    );
    assert.ok(webhookAuthorised({ 'x-gitea-signature': hmac(secret, body) }, body, secret));
  });

  it('refuses a wrong secret, a signature of another body, and no credentials at all', () => {
    assert.ok(!webhookAuthorised({}, body, secret));
    assert.ok(!webhookAuthorised({ authorization: 'Bearer nope' }, body, secret));
    assert.ok(!webhookAuthorised({ 'x-gitlab-token': `${secret}x` }, body, secret));
    const other = Buffer.from('{"ref":"refs/heads/evil"}');
    assert.ok(
      !webhookAuthorised({ 'x-hub-signature-256': `sha256=${hmac(secret, other)}` }, body, secret),
    );
    assert.ok(!webhookAuthorised({ 'x-gitea-signature': hmac('guess', body) }, body, secret));
    assert.ok(
      !webhookAuthorised({ 'x-hub-signature-256': hmac(secret, body) }, body, secret),
      'without sha256=',
    );
  });
});
