// A real browser for the web app's end-to-end tests: Playwright
// (playwright-core from npm) driving Debian's chromium, headless.
//
//   launchBrowser({t})         chromium, closed after the test (or suite)
//   newPage(browser, opts)     a fresh context (own storage: another user) and page;
//                              records page errors and console errors
//   checkA11y(page, what)      axe-core injected into the page; fails on any
//                              serious or critical violation
//   screenshot(page, name)     PNG under build/screenshots/ ($SCREENSHOT_DIR;
//                              make screenshots copies them to docs/screenshots/)

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { REPO_ROOT } from './server.mjs';

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || path.join(REPO_ROOT, 'build', 'screenshots');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

let playwright = null;
function loadPlaywright() {
  if (!playwright) {
    try {
      playwright = require('playwright-core');
    } catch (e) {
      throw new Error(`playwright-core is not installed in tests/node_modules (run scripts/deps.sh test, or npm ci in tests/): ${e.message}`);
    }
  }
  return playwright;
}

/** Launches headless chromium; fails loudly (never skips) when it is missing. */
export async function launchBrowser({ t } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `chromium not found at ${CHROMIUM}: the web app tests need it. ` +
        'Install it with `apt-get install -y chromium` (scripts/deps.sh test does), or set CHROMIUM_PATH.',
    );
  }
  const { chromium } = loadPlaywright();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--autoplay-policy=no-user-gesture-required', '--disable-dev-shm-usage', '--mute-audio'],
  });
  if (t) t.after(() => browser.close().catch(() => {}));
  return browser;
}

/**
 * A new browser context and page. opts: baseURL, viewport (DESKTOP), locale
 * ('en-US'), permissions. page.errors collects uncaught exceptions and
 * console.error lines (failed resource loads excluded: an expected 404 is
 * not an app error).
 */
export async function newPage(browser, { baseURL, viewport = DESKTOP, locale = 'en-US', permissions = [] } = {}) {
  const context = await browser.newContext({ baseURL, viewport, locale, permissions, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.errors.push(`console: ${m.text()}`);
  });
  page.setDefaultTimeout(15_000);
  return page;
}

/**
 * Loads an app path straight from the server (it answers the app's routes
 * with index.html) and waits until the app has rendered a page.
 */
export async function openApp(page, p, timeout = 15_000) {
  await page.goto(p);
  await page.waitForFunction(() => document.getElementById('main')?.dataset.page, null, { timeout });
}

/** Runs axe-core in the page; asserts no serious or critical violations. */
export async function checkA11y(page, what) {
  const src = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ content: src });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => v.id),
    [],
    `axe on ${what}: ${bad.map((v) => `\n  [${v.impact}] ${v.id}: ${v.help}\n    ${v.nodes.join('\n    ')}`).join('')}`,
  );
  return result;
}

/** Saves a full-page PNG as build/screenshots/<name>.png. */
export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false, animations: 'disabled', caret: 'hide' });
  return file;
}
