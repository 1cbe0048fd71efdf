// The test runner the extension host loads (payload `extensionTestsPath`): runs the mocha suite bundled
// next to it (tests.cjs) inside VS Code's real Node extension host. Test output in there only reaches the
// browser console, so each result is also appended as one JSON line to results.jsonl, which
// test/e2e/run.ts prints as it arrives.
import Mocha from 'mocha';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SuiteResult {
  /** note: a line a test wants shown in the terminal (see `note` in support.ts). */
  state: 'passed' | 'failed' | 'done' | 'note';
  text?: string;
  title?: string;
  durationMs?: number;
  error?: string;
  passes?: number;
  failures?: number;
}

export function run(): Promise<void> {
  // support.ts's note() appends here too: both are bundled next to each other.
  const resultsFile = join(__dirname, 'results.jsonl');
  writeFileSync(resultsFile, '');
  const record = (result: SuiteResult) => appendFileSync(resultsFile, JSON.stringify(result) + '\n');

  // Generous: a cold CI machine starts the runner, compiles TypeScript and attaches a debugger.
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 90_000, slow: 10_000, reporter: 'spec' });
  if (process.env.E2E_GREP) mocha.grep(process.env.E2E_GREP);
  mocha.addFile(join(__dirname, 'tests.cjs'));
  return new Promise((resolve, reject) => {
    let passes = 0;
    let failures = 0;
    const runner = mocha.run(() => {
      record({ state: 'done', passes, failures });
      if (failures > 0) reject(new Error(`${failures} in-host test(s) failed.`));
      else resolve();
    });
    runner.on('pass', (test) => {
      passes++;
      record({ state: 'passed', title: test.fullTitle(), durationMs: test.duration });
    });
    runner.on('fail', (test, error: Error) => {
      failures++;
      record({ state: 'failed', title: test.fullTitle(), durationMs: test.duration, error: error.stack ?? String(error) });
    });
  });
}
