// Every rule of the chain analysis as a table, read from its documentation (docs/chain-rules.md): each rule's bad
// example must get the rule's code, its good example no warning or error, and every diagnostic code has a section.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { analyzeChains, DIAGNOSTIC_CODES, forgetWorkspaces, type QuickFix, type TextEdit } from '../../runner/analysis/index.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'chain-rules.md'), 'utf8');
const TSCONFIG = { compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true, types: [] } };

interface Rule {
  code: string;
  bad: { lang: string; text: string };
  good: { lang: string; text: string };
}

function rules(): Rule[] {
  return DOC.split(/^## /m)
    .slice(1)
    .map((section) => {
      const code = /^([a-z-]+)/.exec(section)![1]!;
      const block = (kind: string) => {
        const m = new RegExp('```(ts|json) ' + kind + '\\n([\\s\\S]*?)```').exec(section);
        assert.ok(m, `${code} has a ${kind} example`);
        return { lang: m[1]!, text: m[2]! };
      };
      return { code, bad: block('bad'), good: block('good') };
    });
}

const dir = mkdtempSync(join(tmpdir(), 'or-chain-rules-'));
symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
after(() => {
  forgetWorkspaces();
  rmSync(dir, { recursive: true, force: true });
});

/** Rules whose bad example must come with a quick fix (the fix is applied and the example analysed again). */
const FIXED = ['body-not-parsed', 'error-handler-order', 'error-logged-after-handling', 'validate-before-parse', 'normalize-after-read', 'middy-esm-config'];

/** Applies a quick fix's edits to the files on disk (1-based positions), last edit first. */
function apply(fix: QuickFix): void {
  const files = new Map<string, TextEdit[]>();
  for (const e of fix.edits) files.set(e.range.file, [...(files.get(e.range.file) ?? []), e]);
  for (const [file, edits] of files) {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const offset = (p: { line: number; column: number }) => lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
    let out = text;
    for (const e of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start)))
      out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
    writeFileSync(file, out);
  }
}

/** The codes of warnings and errors reported for an example (a handler, or a tsconfig for a fixed handler). */
async function codesOf(
  example: { lang: string; text: string },
  name: string,
): Promise<{ all: string[]; alarms: string[]; fixes: Map<string, QuickFix>; file: string }> {
  const file = join(dir, `${name}.ts`);
  if (example.lang === 'json') {
    writeFileSync(join(dir, 'tsconfig.json'), example.text);
    writeFileSync(file, "import middy from '@middy/core';\nexport const handler = middy(async () => ({ statusCode: 200 }));\n");
  } else {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    writeFileSync(file, example.text);
  }
  forgetWorkspaces();
  const report = await analyzeChains(file);
  const diagnostics = [...report.diagnostics, ...report.chains.flatMap((c) => c.diagnostics)];
  return {
    all: diagnostics.map((d) => d.code),
    alarms: diagnostics.filter((d) => d.severity !== 'info').map((d) => d.code),
    fixes: new Map(diagnostics.filter((d) => d.fix).map((d) => [d.code, d.fix!])),
    file,
  };
}

async function reanalysed(file: string): Promise<string[]> {
  forgetWorkspaces();
  const report = await analyzeChains(file);
  return [...report.diagnostics, ...report.chains.flatMap((c) => c.diagnostics)].filter((d) => d.severity !== 'info').map((d) => d.code);
}

test('every diagnostic code is documented with a bad and a good example', () => {
  assert.deepEqual(
    rules()
      .map((r) => r.code)
      .sort(),
    [...DIAGNOSTIC_CODES].sort(),
  );
});

for (const rule of rules()) {
  test(`${rule.code}: the bad example is reported, the good one is not`, async () => {
    const bad = await codesOf(rule.bad, `${rule.code}-bad`);
    assert.ok(bad.all.includes(rule.code), `bad example reports ${rule.code} (got ${bad.all.join(', ') || 'nothing'})`);
    const fix = bad.fixes.get(rule.code);
    assert.equal(fix !== undefined, FIXED.includes(rule.code), `${rule.code} ${FIXED.includes(rule.code) ? 'has' : 'has no'} quick fix`);
    if (fix) {
      apply(fix);
      assert.deepEqual(await reanalysed(bad.file), [], `after "${fix.title}" nothing is reported`);
    }
    const good = await codesOf(rule.good, `${rule.code}-good`);
    assert.deepEqual(good.alarms, [], 'good example gets no warning or error');
    assert.ok(!good.all.includes(rule.code), `good example does not report ${rule.code}`);
  });
}
