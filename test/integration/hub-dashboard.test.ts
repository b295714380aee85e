// The hub's dashboard in a real headless Chromium (Debian's chromium, driven by playwright-core):
// an operator signs in, watches a gateway's update fail its health gate and roll back without
// reloading the page, and reads the failed container's output on the device page. A screenshot
// of each page is kept in test-results/.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  badStack,
  FAILURE_LINE,
  startHubGateway,
  type HubGateway,
} from '../helpers/hub-gateway.js';
import { repoRoot } from '../helpers/run-cli.js';

const ARTIFACTS = `${repoRoot}test-results`;

describe('the hub dashboard in Chromium', () => {
  let env: HubGateway;
  let browser: Browser;
  let page: Page;

  before(async () => {
    env = await startHubGateway('dash');
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await mkdir(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await env?.stop();
  });

  const cell = () => `tr[data-device="${env.device}"] td[data-deployment="iot"]`;

  it('asks for the operator token, and refuses a wrong one', async () => {
    await page.goto(`${env.hub.url}/`);
    assert.match(page.url(), /\/login$/);
    await page.fill('input[name=token]', 'not-the-token');
    await page.click('button[type=submit]');
    assert.match((await page.textContent('#login-error')) ?? '', /not the operator token/);
    await page.fill('input[name=token]', env.hub.operatorToken);
    await page.click('button[type=submit]');
    await page.waitForSelector('#fleet');
    assert.equal(new URL(page.url()).pathname, '/');
  });

  it('shows the gateway online and converged, then its rollback without a reload', async () => {
    await page.waitForSelector(`${cell()} .converged`);
    assert.equal(
      await page.textContent(`tr[data-device="${env.device}"] .status.online`),
      'online',
    );
    let navigations = 0;
    page.on('framenavigated', () => (navigations += 1));
    const bad = await env.commitStack(badStack(env.image), 'iot: a web that cannot start');
    await page.waitForSelector(`${cell()} .rolled-back`, { timeout: 120_000 });
    assert.equal(navigations, 0, 'the page updated itself');
    assert.ok(await page.getAttribute('body', 'data-updated'), 'refreshed by its script');
    await page.screenshot({ path: `${ARTIFACTS}/hub-fleet.png`, fullPage: true });

    await page.click(`tr[data-device="${env.device}"] a`);
    await page.waitForSelector('section.failure-log pre');
    const log = (await page.textContent('section.failure-log pre')) ?? '';
    assert.equal(log.split('\n').at(-1), FAILURE_LINE);
    assert.equal(log.split('\n').length, 200);
    assert.match(
      (await page.textContent(`#deployments tr[data-deployment="iot"]`)) ?? '',
      /rolled-back[\s\S]*FERRY_HEALTH/,
    );
    await page.screenshot({ path: `${ARTIFACTS}/hub-device.png`, fullPage: true });

    await page.click('#deployments a');
    const rolledBack = `#revisions tr[data-revision="${bad}"] td.rolled-back`;
    await page.waitForSelector(rolledBack);
    assert.equal(await page.textContent(rolledBack), '1');
    await page.screenshot({ path: `${ARTIFACTS}/hub-deployment.png`, fullPage: true });
  });

  it('filters the fleet by label and status', async () => {
    await page.goto(`${env.hub.url}/?status=converged`);
    assert.equal(await page.locator(`tr[data-device="${env.device}"]`).count(), 0);
    await page.goto(`${env.hub.url}/?status=rolled-back&selector=nope`);
    assert.match((await page.textContent('#filter-error')) ?? '', /not a selector term/);
    await page.goto(`${env.hub.url}/?status=rolled-back`);
    assert.equal(await page.locator(`tr[data-device="${env.device}"]`).count(), 1);
  });

  it('signs out, after which the live updates stop at the sign-in page', async () => {
    await page.click('header button[type=submit]');
    await page.waitForURL(/\/login$/);
    const response = await page.request.get(`${env.hub.url}/api/v1/devices`);
    assert.equal(response.status(), 401);
  });
});
