// `open-runtime test`: the real CLI on a copy of test/fixtures/event-tests (saved events with subset, exact and
// errorType expectations, one without, one failing on purpose): its exit codes, what it prints, the JUnit XML it
// writes (parsed by a real XML parser, strict), and --update-snapshots writing and rewriting snapshots.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { CLI } from './support/runner.ts';

// A real XML parser, strict (malformed XML throws): xml2js, which @vscode/vsce (a dev dependency) brings; it has no types.
const { parseStringPromise } = createRequire(import.meta.url)('xml2js') as {
  parseStringPromise(xml: string, options: { strict: boolean }): Promise<any>;
};

const FIXTURE = fileURLToPath(new URL('../fixtures/event-tests', import.meta.url));
let project: string;

before(() => {
  project = join(mkdtempSync(join(tmpdir(), 'open-runtime-event-tests-')), 'project');
  cpSync(FIXTURE, project, { recursive: true });
});

after(() => rmSync(join(project, '..'), { recursive: true, force: true }));

function openRuntimeTest(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'test', ...args],
      { cwd: project, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const events = (fn: string) => join(project, '.open-runtime', 'events', fn);

interface Case {
  $: { name: string; classname: string; file: string; time: string };
  failure?: Array<{ _: string; $: { message: string; type: string } }>;
  error?: unknown[];
  'system-out'?: string[];
}

test('runs every saved event, prints a line per event with a diff under a failure, exits 1, and writes JUnit XML a CI reads', async () => {
  const { code, stdout, stderr } = await openRuntimeTest('--junit', 'reports/junit.xml');
  assert.equal(code, 1, `a failing event fails the run\n${stdout}\n${stderr}`);
  assert.match(stdout, /^Greet$/m);
  assert.match(stdout, /^ {2}✓ ada \(\d+ ms\) matches the expected response \(subset\)$/m);
  assert.match(stdout, /^ {2}✗ bob \(\d+ ms\) \$\.body\.message: expected "Hello, Robert!", got "Hello, Bob!"$/m);
  assert.match(stdout, /^ {6}- {5}"message": "Hello, Robert!"$/m, 'the diff: expected');
  assert.match(stdout, /^ {6}\+ {5}"message": "Hello, Bob!"$/m, 'the diff: actual');
  assert.match(stdout, /INFO\tgreeting Bob/, "the failing event's log");
  assert.match(stdout, /^ {2}✓ nobody \(\d+ ms\) fails with MissingName as expected$/m);
  assert.match(stdout, /^ {2}✗ changed \(\d+ ms\) \$\.k: expected "old", got "new"$/m);
  assert.match(stdout, /^ {2}✓ plain \(\d+ ms\) no expectation/m);
  assert.match(stdout, /^5 events of 2 functions: 3 passed, 2 failed in [\d.]+ s$/m);
  assert.doesNotMatch(stdout, /expected\.json|✓ ada\.expected/, 'expectation files are not run as events');

  const xml = readFileSync(join(project, 'reports', 'junit.xml'), 'utf8');
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/);
  const report = await parseStringPromise(xml, { strict: true });
  const root = report.testsuites;
  assert.deepEqual({ tests: root.$.tests, failures: root.$.failures, errors: root.$.errors }, { tests: '5', failures: '2', errors: '0' });
  const suites = root.testsuite as Array<{ $: Record<string, string>; testcase: Case[] }>;
  assert.deepEqual(
    suites.map((s) => [s.$.name, s.$.tests, s.$.failures]),
    [
      ['Greet', '3', '1'],
      ['Echo', '2', '1'],
    ],
  );
  const cases = new Map(suites.flatMap((s) => s.testcase.map((c) => [`${c.$.classname}/${c.$.name}`, c] as const)));
  assert.deepEqual([...cases.keys()].sort(), ['Echo/changed', 'Echo/plain', 'Greet/ada', 'Greet/bob', 'Greet/nobody']);
  for (const c of cases.values()) {
    assert.match(c.$.time, /^\d+\.\d{3}$/, 'time in seconds');
    assert.equal(c.$.file, `.open-runtime/events/${c.$.classname}/${c.$.name}.json`);
  }
  const bob = cases.get('Greet/bob')!;
  assert.equal(bob.failure?.[0]?.$.message, '$.body.message: expected "Hello, Robert!", got "Hello, Bob!"');
  assert.match(bob.failure![0]!._, /^- {5}"message": "Hello, Robert!"$/m);
  assert.match(bob['system-out']![0]!, /greeting Bob/);
  assert.equal(cases.get('Greet/ada')!.failure, undefined);
  assert.equal(cases.get('Greet/nobody')!.failure, undefined);
  // Logs with stack traces hold < and & : escaped, and the parser above read them back.
  assert.match(cases.get('Greet/nobody')!['system-out']![0]!, /MissingName/);
});

test('only the functions named; a name that is no function is a usage error (exit 2)', async () => {
  const greet = await openRuntimeTest('Echo');
  assert.equal(greet.code, 1);
  assert.doesNotMatch(greet.stdout, /^Greet$/m);
  assert.match(greet.stdout, /^2 events of 1 function: 1 passed, 1 failed/m);
  const unknown = await openRuntimeTest('Nope');
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /Nope/);
  assert.match(unknown.stderr, /open-runtime test \[<function>\.\.\.\]/, "the verb's usage");
});

test('a malformed saved event or expectation is an error of that test, the rest still run', async () => {
  writeFileSync(join(events('Echo'), 'broken.json'), '{ "a": ');
  writeFileSync(join(events('Echo'), 'typo.json'), '{}');
  writeFileSync(join(events('Echo'), 'typo.expected.json'), '{ "respnse": {} }');
  try {
    const { code, stdout } = await openRuntimeTest('Echo', '--junit', 'errors.xml');
    assert.equal(code, 1);
    assert.match(stdout, /^ {2}! broken \(\d+ ms\) The saved event is not valid JSON \(line 1, column 8\)/m);
    assert.match(
      stdout,
      /^ {2}! typo \(\d+ ms\) .*typo\.expected\.json: .*"match" \("exact" or "subset"\), "response", "errorType" and "errorMessage" only\./m,
    );
    assert.match(stdout, /^ {2}✓ plain/m);
    const report = await parseStringPromise(readFileSync(join(project, 'errors.xml'), 'utf8'), { strict: true });
    assert.equal(report.testsuites.$.errors, '2');
  } finally {
    for (const f of ['broken.json', 'typo.json', 'typo.expected.json']) unlinkSync(join(events('Echo'), f));
  }
});

test('--update-snapshots writes missing snapshots and rewrites failing exact ones, never a subset one', async () => {
  const updated = await openRuntimeTest('--update-snapshots');
  assert.equal(updated.code, 1, 'the subset expectation of bob still fails');
  assert.match(updated.stdout, /^ {2}✓ plain \(\d+ ms\) snapshot written$/m);
  assert.match(updated.stdout, /^ {2}✓ changed \(\d+ ms\) snapshot updated \(was: \$\.k: expected "old", got "new"\)$/m);
  assert.match(updated.stdout, /^ {2}✗ bob /m);
  assert.match(updated.stdout, /2 snapshots written/);
  assert.deepEqual(JSON.parse(readFileSync(join(events('Echo'), 'plain.expected.json'), 'utf8')), { match: 'exact', response: { order: 42 } });
  assert.deepEqual(JSON.parse(readFileSync(join(events('Echo'), 'changed.expected.json'), 'utf8')), { match: 'exact', response: { k: 'new' } });
  assert.match(readFileSync(join(events('Greet'), 'bob.expected.json'), 'utf8'), /Hello, Robert!/, 'hand-written subset left alone');

  // The next run checks against the new snapshots; with bob's expectation fixed, everything passes: exit 0.
  writeFileSync(join(events('Greet'), 'bob.expected.json'), '{ "match": "subset", "response": { "body": { "message": "Hello, Bob!" } } }\n');
  const again = await openRuntimeTest();
  assert.equal(again.code, 0, again.stdout);
  assert.match(again.stdout, /^ {2}✓ plain \(\d+ ms\) matches the expected response \(exact\)$/m);
  assert.match(again.stdout, /^5 events of 2 functions: 5 passed in/m);
});

test('no saved events at all is a failure that says so, not a silent pass', async () => {
  const empty = join(project, '..', 'empty');
  cpSync(project, empty, { recursive: true, filter: (src) => !src.includes('.open-runtime') });
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, [CLI, 'test'], { cwd: empty, encoding: 'utf8', timeout: 60_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
  assert.equal(code, 1);
  assert.match(stderr, /no saved events to run in .*\.open-runtime\/events/);
});
