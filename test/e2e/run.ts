// `npm run test:e2e`: the extension in a real VS Code (code-server), two ways:
//  1. the mocha suite in test/e2e/suite/ runs inside VS Code's extension host (commands, CodeLens
//     provider, event picker, invocations, the debugger stopping on a TypeScript breakpoint);
//  2. the UI flow in test/e2e/ui/ drives the workbench in Debian Chromium with Playwright, as a user would.
// Each part gets a fresh copy of examples/ (plus three sam-init projects side by side, sam-projects.ts), so saved
// events and history start empty every run.
// Screenshots and logs go to test-results/e2e/ (with ui-timings.json, the UI round trips timed by ui/timings.ts).
// `--only suite` or `--only ui` runs one part; `--grep text` runs the tests (in-host and UI) whose title contains text.
// `--package` makes the linux-x64 .vsix (scripts/package.ts) and runs everything against it, installed into code-server
// as a user installs it, instead of the repo folder; `--vsix file` does the same with a given .vsix. `--package --all-targets`
// (npm test, CI) makes every platform's .vsix first, so a target that breaks its budget or binaries fails the run.
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cpSync, existsSync, statSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, appendFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs, format } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CACHE_DIR,
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  EXAMPLES_DIR,
  REPO_ROOT,
  buildExtension,
  freePort,
  installCodeServer,
  rel,
  startCodeServer,
  type VsCodeHost,
} from '../../scripts/vscode-host.ts';
import type { SuiteResult } from './suite/index.ts';
import { uiTests, type UiContext } from './ui/flow.ts';
import { chainViewUiTest } from './ui/chain-view.ts';
import { multiProjectUiTest } from './ui/multi-project.ts';
import { componentViewUiTest } from './ui/component-view.ts';
import { durableViewUiTest } from './ui/durable-view.ts';
import { routesUiTest } from './ui/routes.ts';
import { portsUiTest } from './ui/ports.ts';
import { timingsUiTest } from './ui/timings.ts';
import { editorWorkflowUiTest } from './ui/editor-workflow.ts';
import { addSamProjects } from './sam-projects.ts';

// E2E_RESULTS_DIR: keeps two runs at once (two engineers, CI and a developer) from mixing their screenshots.
// The examples' nodejs22.x functions run on the Node there is, with their notice: installing Node 22 from the npm
// registry (runner/runtimes/node-download.ts) is tested once, in test/integration/fidelity-node-download.test.ts.
process.env.OPEN_RUNTIME_NO_NODE_DOWNLOAD ??= '1';
process.env.OPEN_RUNTIME_NO_SDK_DOWNLOAD ??= '1';
const RESULTS_DIR = process.env.E2E_RESULTS_DIR ? resolve(process.env.E2E_RESULTS_DIR) : join(REPO_ROOT, 'test-results/e2e');
const SUITE_TIMEOUT_MS = Number(process.env.E2E_SUITE_TIMEOUT_MS ?? 300_000);
/** One UI test's bound: a wait that never ends (outside Playwright's own timeouts) fails that test, not the whole run. */
const UI_TEST_TIMEOUT_MS = Number(process.env.E2E_UI_TEST_TIMEOUT_MS ?? 600_000);

interface Outcome {
  part: string;
  title: string;
  passed: boolean;
  error?: string;
}
const outcomes: Outcome[] = [];
const log = (line: string) => console.log(`[e2e] ${line}`);

function report(outcome: Outcome, durationMs?: number): void {
  outcomes.push(outcome);
  const time = durationMs === undefined ? '' : ` (${(durationMs / 1000).toFixed(1)} s)`;
  console.log(`  ${outcome.passed ? 'ok  ' : 'FAIL'} ${outcome.part}: ${outcome.title}${time}`);
  if (outcome.error) console.log(indent(outcome.error, '         '));
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .slice(0, 25)
    .map((l) => prefix + l)
    .join('\n');
}

/**
 * A private copy of examples/ without build output or saved state. Installed packages are linked, not
 * copied; node_modules/.cache is left out, since the runner's compile cache there holds source maps that
 * point at the files they were built from.
 */
function copyExamples(into: string): string {
  if (!existsSync(EXAMPLES_DIR)) throw new Error(`${rel(EXAMPLES_DIR)}/ is missing: the E2E tests open that workspace.`);
  const target = join(into, 'examples');
  const skip = new Set(['node_modules', 'target', '.open-runtime', '__pycache__', '.aws-sam']);
  cpSync(EXAMPLES_DIR, target, { recursive: true, filter: (src) => !skip.has(basename(src)) });
  const linkPackages = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || (skip.has(entry.name) && entry.name !== 'node_modules')) continue;
      const source = join(dir, entry.name);
      if (entry.name !== 'node_modules') {
        linkPackages(source);
        continue;
      }
      const copy = join(target, source.slice(EXAMPLES_DIR.length));
      for (const pkg of readdirSync(source)) {
        if (pkg === '.cache') continue;
        mkdirSync(copy, { recursive: true });
        symlinkSync(join(source, pkg), join(copy, pkg));
      }
    }
  };
  linkPackages(EXAMPLES_DIR);
  // Several sam-init projects side by side, with the same function name (see sam-projects.ts).
  addSamProjects(target);
  return target;
}

/** Bundles the in-host suite: index.cjs (the runner VS Code loads) and tests.cjs (every *.test.ts). */
async function bundleSuite(outdir: string, grep: string | undefined): Promise<string> {
  const suiteDir = join(REPO_ROOT, 'test/e2e/suite');
  const testFiles = readdirSync(suiteDir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort();
  const common: esbuild.BuildOptions = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    sourcemap: 'inline',
    logLevel: 'warning',
    // vscode is provided by the extension host; mocha is the repo's own copy, resolved from node_modules.
    external: ['vscode', 'mocha'],
    outdir,
    outExtension: { '.js': '.cjs' },
    // --grep reaches mocha inside the extension host through the bundle (its environment is not ours).
    // E2E_REPO_ROOT: the repo's test fixtures, which the extension's folder holds only when it is the repo (not the .vsix).
    define: { 'process.env.E2E_GREP': JSON.stringify(grep ?? ''), 'process.env.E2E_REPO_ROOT': JSON.stringify(REPO_ROOT) },
  };
  await esbuild.build({ ...common, entryPoints: { index: join(suiteDir, 'index.ts') } });
  await esbuild.build({
    ...common,
    stdin: { contents: testFiles.map((f) => `import './${f}';`).join('\n'), resolveDir: suiteDir, sourcefile: 'tests.ts' },
    outfile: join(outdir, 'tests.cjs'),
    outdir: undefined,
  });
  return join(outdir, 'index.cjs');
}

/** Run folders of e2e runs that were killed before cleaning up (another run at the same time keeps its own). */
function removeAbandonedRuns(): void {
  for (const name of readdirSync(CACHE_DIR)) {
    if (!name.startsWith('e2e-')) continue;
    const dir = join(CACHE_DIR, name);
    let owner = 0;
    try {
      owner = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    } catch {
      // No pid yet: a run that is just starting, unless the folder is old.
      if (Date.now() - statSync(dir).mtimeMs < 60_000) continue;
    }
    let alive = false;
    try {
      if (owner) {
        process.kill(owner, 0);
        alive = true;
      }
    } catch {
      /* gone */
    }
    if (!alive) rmSync(dir, { recursive: true, force: true });
  }
}

/** VS Code writes each output channel to a log file; keep "Open Runtime"'s (one per window) for diagnosis. */
function keepOutputChannelLogs(runDir: string): void {
  const logs = join(runDir, 'user-data/logs');
  if (!existsSync(logs)) return;
  let n = 0;
  for (const entry of readdirSync(logs, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /Open Runtime\.log$/.test(entry.name)) {
      n++;
      cpSync(join(entry.parentPath, entry.name), join(RESULTS_DIR, `output-open-runtime-${n}.log`));
    }
  }
}

async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install -y chromium).`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** The extension's "Timing" lines (extension/ctx.ts logTiming), one JSON line per click, for the UI timings. */
const TIMINGS_FILE = 'timings.jsonl';

/** Keeps the browser console (which carries the extension host's log while tests run) in a file. */
function recordConsole(page: Page, file: string): void {
  writeFileSync(file, '');
  // A log line lost (results folder removed under us) must not crash the run.
  const append = (text: string) => {
    try {
      appendFileSync(file, text);
    } catch {
      /* ignore */
    }
  };
  page.on('console', async (message) => {
    let line = message.text();
    try {
      const args = await Promise.all(message.args().map((a) => a.jsonValue()));
      // The workbench forwards extension host output as ['%c INFO', 'color: ...', format, ...args].
      if (typeof args[0] === 'string' && args[0].startsWith('%c')) line = `${args[0].slice(2).trim()} ${format(...args.slice(2))}`;
    } catch {
      /* page navigated: keep the plain text */
    }
    append(`${line}\n`);
  });
  page.on('pageerror', (error) => append(`PAGE ERROR ${error.stack ?? error.message}\n`));
}

async function runInHostSuite(browser: Browser, host: VsCodeHost, runDir: string, grep: string | undefined): Promise<void> {
  const folder = copyExamples(join(runDir, 'suite-workspace'));
  const testsPath = await bundleSuite(join(runDir, 'suite'), grep);
  const resultsFile = join(runDir, 'suite/results.jsonl');
  log(`in-host mocha suite: ${host.workbenchUrl({ folder })}`);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  recordConsole(page, join(RESULTS_DIR, 'suite-console.log'));
  let exitCode: number | undefined;
  // The workbench calls this when the extension host has run the tests (the host itself always exits 0).
  await page.exposeFunction('codeAutomationExit', (code: number) => {
    exitCode = code;
  });
  const t0 = Date.now();
  let printed = 0;
  let done: SuiteResult | undefined;
  const printNew = () => {
    if (!existsSync(resultsFile)) return;
    const lines = readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean);
    for (; printed < lines.length; printed++) {
      const result = JSON.parse(lines[printed]!) as SuiteResult;
      if (result.state === 'done') {
        done = result;
        continue;
      }
      if (result.state === 'note') {
        console.log(`       ${result.text}`);
        continue;
      }
      report({ part: 'in-host', title: result.title ?? '?', passed: result.state === 'passed', error: result.error }, result.durationMs);
    }
  };
  try {
    // The workbench loads slowly on a busy 2-core machine (load 20-30 with other jobs): more than the 30 s default.
    await page.goto(host.workbenchUrl({ folder, extensionTestsPath: testsPath }), { timeout: 120_000 });
    while (exitCode === undefined && Date.now() - t0 < SUITE_TIMEOUT_MS) {
      printNew();
      await sleep(250);
    }
    await sleep(250);
    printNew();
    await page.screenshot({ path: join(RESULTS_DIR, 'suite-00-workbench-after-tests.png') }).catch(() => {});
    if (exitCode === undefined) {
      report({
        part: 'in-host',
        title: 'the suite finishes',
        passed: false,
        error: `The in-host suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s; see ${rel(join(RESULTS_DIR, 'suite-console.log'))}.`,
      });
    } else if (!done) {
      report({
        part: 'in-host',
        title: 'the suite runs',
        passed: false,
        error: `The extension host ended the tests (exit code ${exitCode}) without running the mocha suite; see ${rel(join(RESULTS_DIR, 'suite-console.log'))}.`,
      });
    } else if (exitCode !== 0 && done.failures === 0) {
      report({ part: 'in-host', title: 'the extension host exits cleanly', passed: false, error: `codeAutomationExit(${exitCode}) although no test failed.` });
    }
    log(`in-host suite finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await page.close().catch(() => {});
  }
}

async function runUiFlow(browser: Browser, host: VsCodeHost, runDir: string, grep: string | undefined): Promise<void> {
  const folder = copyExamples(join(runDir, 'ui-workspace'));
  const url = host.workbenchUrl({ folder });
  log(`UI flow: ${url}`);
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  recordConsole(page, join(RESULTS_DIR, 'ui-console.log'));
  let shot = 0;
  const context: UiContext = {
    page,
    folder,
    url,
    resultsDir: RESULTS_DIR,
    timingsFile: join(runDir, TIMINGS_FILE),
    async screenshot(name: string) {
      shot++;
      const file = join(RESULTS_DIR, `ui-${String(shot).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
  };
  try {
    // The component view opens its .wasm from the explorer before the editor workflow adds projects that scroll the
    // explorer's top rows out of view. The ports are counted once several functions have run and before the timings
    // restart the runner.
    // The timings come last: they restart the runner and leave the Run and Debug view open.
    const tests = [
      ...uiTests,
      chainViewUiTest,
      multiProjectUiTest,
      componentViewUiTest,
      editorWorkflowUiTest,
      routesUiTest,
      durableViewUiTest,
      portsUiTest,
      timingsUiTest,
    ].filter((t) => !grep || t.title.includes(grep));
    for (const test of tests) {
      const t0 = Date.now();
      try {
        await bounded(test.run(context), UI_TEST_TIMEOUT_MS, `${test.title} did not finish within ${UI_TEST_TIMEOUT_MS / 1000} s.`);
        report({ part: 'ui', title: test.title, passed: true }, Date.now() - t0);
      } catch (error) {
        await context.screenshot(`FAILED-${test.slug}`).catch(() => {});
        report({ part: 'ui', title: test.title, passed: false, error: error instanceof Error ? error.message : String(error) }, Date.now() - t0);
        // Leave the workbench in a known state for the next test (close pickers, menus).
        await page.keyboard.press('Escape').catch(() => {});
        await page.keyboard.press('Escape').catch(() => {});
      }
    }
  } finally {
    await page.close().catch(() => {});
  }
}

/** `work`, or `message` as an error once `ms` have passed without it settling. */
async function bounded<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * out/open-runtime-linux-x64-VERSION.vsix, made now (npm run package -- --target linux-x64). With `allTargets`, every
 * platform's .vsix is made (as CI does: a target over budget or with another platform's binaries fails the run), and
 * the linux-x64 one is tested.
 */
function packageLinuxX64(allTargets: boolean): string {
  log(allTargets ? 'packaging every target (scripts/package.ts); testing linux-x64' : 'packaging the linux-x64 .vsix (scripts/package.ts)');
  const args = [join(REPO_ROOT, 'scripts', 'package.ts'), ...(allTargets ? [] : ['--target', 'linux-x64'])];
  const made = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8' });
  const lines = made.stdout.split('\n').filter((l) => l.startsWith('{'));
  if (made.status !== 0 || lines.length === 0) throw new Error(`npm run package failed:\n${made.stdout}${made.stderr}`);
  let linux: string | undefined;
  for (const line of lines) {
    const { target, file, megabytes, files } = JSON.parse(line) as { target: string; file: string; megabytes: number; files: number };
    log(`${file}: ${megabytes} MB, ${files} files`);
    if (target === 'linux-x64') linux = file;
  }
  if (!linux) throw new Error(`npm run package made no linux-x64 .vsix:\n${made.stdout}`);
  return join(REPO_ROOT, linux);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, grep: { type: 'string' }, package: { type: 'boolean' }, 'all-targets': { type: 'boolean' }, vsix: { type: 'string' } },
  });
  if (values.only && values.only !== 'suite' && values.only !== 'ui') throw new Error('--only takes "suite" or "ui".');
  const t0 = Date.now();
  rmSync(RESULTS_DIR, { recursive: true, force: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  buildExtension(log);
  const vsix = values.package ? packageLinuxX64(values['all-targets'] === true) : values.vsix && resolve(values.vsix);
  const entry = await installCodeServer(log);
  mkdirSync(CACHE_DIR, { recursive: true });
  removeAbandonedRuns();
  const runDir = mkdtempSync(join(CACHE_DIR, 'e2e-'));
  writeFileSync(join(runDir, 'pid'), String(process.pid));
  let host: VsCodeHost | undefined;
  let browser: Browser | undefined;
  const stopAll = async () => {
    await browser?.close().catch(() => {});
    await host?.stop();
  };
  // Ctrl-C: still stop code-server (and the runner and functions it started).
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    host = await startCodeServer({
      entry,
      port: await freePort(),
      stateDir: runDir,
      logFile: join(RESULTS_DIR, 'code-server.log'),
      log,
      // Keep the workbench quiet and deterministic: no auto-save surprises, no restored editors between parts.
      extraSettings: { 'explorer.compactFolders': false, 'files.autoSave': 'off', 'workbench.editor.restoreViewState': false, 'window.restoreWindows': 'none' },
      // The in-host suite checks which copy it tests (suite/support.ts).
      env: { OPEN_RUNTIME_TIMINGS_FILE: join(runDir, TIMINGS_FILE), ...(vsix ? { OPEN_RUNTIME_E2E_INSTALLED: '1' } : {}) },
      ...(vsix ? { vsix } : {}),
    });
    browser = await launchBrowser();
    if (values.only !== 'ui') await runInHostSuite(browser, host, runDir, values.grep);
    if (values.only !== 'suite') await runUiFlow(browser, host, runDir, values.grep);
  } catch (error) {
    report({
      part: 'harness',
      title: 'start VS Code and run the tests',
      passed: false,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  } finally {
    await stopAll();
    keepOutputChannelLogs(runDir);
    rmSync(runDir, { recursive: true, force: true });
  }
  const failed = outcomes.filter((o) => !o.passed);
  if (failed.length) {
    console.log('\nFailed:');
    for (const f of failed) console.log(`  - ${f.part}: ${f.title}`);
  }
  console.log(`\nScreenshots and logs: ${rel(RESULTS_DIR)}/ (${((Date.now() - t0) / 1000).toFixed(0)} s in all)`);
  console.log(`e2e: ${outcomes.length - failed.length} passed, ${failed.length} failed`);
  return failed.length || outcomes.length === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`e2e: could not run: ${error instanceof Error ? error.message : String(error)}`);
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);
