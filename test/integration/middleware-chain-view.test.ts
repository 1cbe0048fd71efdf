// The chain visualizer page (webview/chain.ts, built to dist/webview/chain.js) in real headless Chromium: it
// draws a real ChainReport from the analyzer as nested layers in execution order, marks the problems, shows full
// types on expansion, and posts reveal messages on click. A screenshot goes to test-results/chain-view.png.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { analyzeChains } from '../../runner/analysis/index.ts';
import { describeRunnerChain } from '../../runner/middleware/describe.ts';
import { parseFunction } from '../../runner/functions/model.ts';
import { launchChromium } from './support/chromium.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'dist', 'webview', 'chain.js');
let browser: Browser;
let page: Page;

before(async () => {
  assert.ok(existsSync(SCRIPT), `${SCRIPT} is missing: run "npm run build" first`);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 900, height: 1100 } });
  await page.setContent('<!DOCTYPE html><html><body><main id="chain"></main></body></html>');
  // What VS Code gives a webview: acquireVsCodeApi() with postMessage/getState/setState.
  await page.evaluate(() => {
    const w = window as unknown as { posted: unknown[]; acquireVsCodeApi: () => unknown };
    w.posted = [];
    let state: unknown;
    w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => w.posted.push(m), getState: () => state, setState: (s: unknown) => (state = s) });
  });
  await page.addScriptTag({ content: readFileSync(SCRIPT, 'utf8') });
});

after(async () => {
  await browser?.close();
});

const posted = () => page.evaluate(() => (window as unknown as { posted: unknown[] }).posted);

test('the page says it is ready, then draws a report as an onion with the problems marked', async () => {
  assert.deepEqual(await posted(), [{ type: 'ready' }]);
  const report = await analyzeChains(join(ROOT, 'test', 'fixtures', 'chains', 'order.ts'));
  const fixture = join(ROOT, 'test', 'fixtures', 'middleware');
  report.runnerChains = [
    describeRunnerChain(
      parseFunction(
        {
          name: 'Guarded',
          runtime: 'nodejs22.x',
          codeUri: join(fixture, 'functions', 'echo'),
          source: { file: join(fixture, 'template.yaml'), line: 1 },
          middlewares: ['deny', 'counter-ll', 'cloudevents'],
        },
        'test',
      ),
    ),
  ];
  await page.evaluate((r) => window.postMessage({ type: 'report', report: r }, '*'), report);
  await page.waitForSelector('section.chain[data-chain="wellOrdered"]');

  // Outermost layer first: the nesting is the registration order, the handler innermost.
  const nesting = await page.$$eval('section[data-chain="wellOrdered"] .layer', (layers) => layers.map((l) => l.getAttribute('data-middleware')));
  assert.deepEqual(nesting, ['httpHeaderNormalizer', 'httpCors', 'httpJsonBodyParser', 'validator', 'httpErrorHandler']);
  const innermost = await page.$eval('section[data-chain="wellOrdered"] .layer[data-middleware="httpErrorHandler"] > .handler .name', (n) => n.textContent);
  assert.equal(innermost, 'createUser');
  assert.equal(
    await page.$eval('section[data-chain="wellOrdered"] .error-order', (n) => n.textContent),
    'On an error, onError hooks run: httpErrorHandler → httpCors',
  );

  // Problems: on the layer they are about, with their explanation.
  const marked = await page.$eval('section[data-chain="errorsFirst"] .layer[data-middleware="httpErrorHandler"]', (n) => ({
    cls: n.className,
    code: n.querySelector('.problem')?.getAttribute('data-code'),
  }));
  assert.deepEqual(marked, { cls: 'layer warning', code: 'error-handler-order' });
  assert.equal(await page.$$eval('section[data-chain="wellOrdered"] .problem', (p) => p.length), 0);

  // Types on the edges: short text, the full type on hover (title), the full text and fields when expanded.
  const edge = page.locator('section[data-chain="wellOrdered"] .layer[data-middleware="httpJsonBodyParser"] > .hook-row.before details.edge');
  assert.equal(await edge.getAttribute('data-type'), 'import("@middy/http-json-body-parser").RequestEvent & APIGatewayProxyEvent');
  assert.equal(await edge.locator('summary').getAttribute('title'), 'import("@middy/http-json-body-parser").RequestEvent & APIGatewayProxyEvent');
  // The edge itself shows the short names (no import("…"). qualifiers); the hover keeps the long form.
  assert.equal(await edge.locator('summary code.type').textContent(), 'RequestEvent & APIGatewayProxyEvent');
  const context = page
    .locator('section[data-chain="wellOrdered"] .handler > details.edge')
    .filter({ has: page.locator('.edge-label', { hasText: /^context$/ }) });
  assert.equal(await context.locator('summary code.type').textContent(), 'Context');
  assert.equal(await context.locator('summary').getAttribute('title'), 'import("aws-lambda").Context');
  await edge.locator('summary').click();
  assert.equal(await edge.locator('.full-type').isVisible(), true);
  assert.ok((await edge.locator('.fields th').allTextContents()).includes('body'));

  // The runner-level chain with its kinds and declared schemas.
  const runner = await page.$$eval('section.runner-chain .layer', (ls) => ls.map((l) => `${l.getAttribute('data-middleware')}:${l.getAttribute('data-kind')}`));
  assert.deepEqual(runner, ['deny:executable', 'counter-ll:long-lived', 'cloudevents:builtin']);
  assert.match(await page.$eval('section.runner-chain .layer[data-middleware="deny"] .hook-row.before', (n) => n.textContent ?? ''), /token: "secret"/);

  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'test-results', 'chain-view.png'), fullPage: true });
});

test('a click on a middleware or a problem asks the extension to reveal it', async () => {
  await page.locator('section[data-chain="validatesText"] .layer[data-middleware="validator"] > .layer-title a.name').click();
  await page.locator('section[data-chain="validatesText"] .problem a.where').click();
  const messages = (await posted()).slice(-2);
  const file = join(ROOT, 'test', 'fixtures', 'chains', 'order.ts');
  assert.deepEqual(messages, [
    { type: 'reveal', file, line: 17, column: 52 },
    { type: 'reveal', file, line: 17, column: 52 },
  ]);
});

test('a file without chains and a failure are said in a sentence', async () => {
  const report = await analyzeChains(join(ROOT, 'test', 'fixtures', 'chains', 'no-chain.ts'));
  await page.evaluate((r) => window.postMessage({ type: 'report', report: r }, '*'), report);
  await page.waitForSelector('#empty');
  await page.evaluate(() => window.postMessage({ type: 'failed', message: 'The runner is not running: start it and try again.' }, '*'));
  assert.equal(await page.locator('.report-problem').textContent(), 'The runner is not running: start it and try again.');
});
