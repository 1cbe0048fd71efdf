// The WIT TextMate grammar against its fixtures, with vscode-tmgrammar-test (VS Code's own tokenizer): every
// fixture passes, a fixture asserting a wrong scope is caught, and the project's real WIT files tokenize
// without a single character left unscoped inside their worlds and interfaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const GRAMMAR = join(ROOT, 'syntaxes', 'wit.tmLanguage.json');
const CLI = join(ROOT, 'node_modules', 'vscode-tmgrammar-test', 'dist', 'unit.js');

function runFixtures(pattern: string) {
  return spawnSync(process.execPath, [CLI, '-g', GRAMMAR, '--config', join(ROOT, 'package.json'), pattern], { cwd: ROOT, encoding: 'utf8' });
}

test('every WIT grammar fixture passes', () => {
  const result = runFixtures('test/fixtures/wit-grammar/*.wit');
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  const fixtures = readdirSync(join(ROOT, 'test', 'fixtures', 'wit-grammar')).filter((f) => f.endsWith('.wit'));
  assert.ok(fixtures.length >= 2);
  for (const fixture of fixtures) assert.match(result.stdout, new RegExp(`${fixture.replace('.', '\\.')} run successfuly`));
});

test('a fixture asserting the wrong scope fails, naming the line and the scope', () => {
  const result = runFixtures('test/fixtures/wit-grammar/wrong/*.wit');
  assert.notEqual(result.status, 0);
  assert.match(result.stdout, /wrong-scope\.wit:3:3:8/);
  assert.match(result.stdout, /missing required scopes: keyword\.declaration\.record\.wit/);
  assert.match(result.stdout, /actual: source\.wit meta\.interface\.wit meta\.function\.wit entity\.name\.function\.wit/);
});

test('the grammar is valid JSON with the scope name the editor registers', () => {
  const grammar = JSON.parse(readFileSync(GRAMMAR, 'utf8')) as { scopeName: string; fileTypes: string[] };
  assert.equal(grammar.scopeName, 'source.wit');
  assert.deepEqual(grammar.fileTypes, ['wit']);
  const configuration = JSON.parse(readFileSync(join(ROOT, 'syntaxes', 'wit.language-configuration.json'), 'utf8')) as { comments: unknown };
  assert.deepEqual(configuration.comments, { lineComment: '//', blockComment: ['/*', '*/'] });
});

test("the project's WIT files tokenize with every word scoped (nothing falls through the grammar)", async () => {
  // CommonJS packages (vscode-tmgrammar-test's own tokenizer): their API is on the default export.
  const textmate = (await import('vscode-textmate')).default;
  const oniguruma = (await import('vscode-oniguruma')).default;
  const wasm = readFileSync(join(ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () => textmate.parseRawGrammar(readFileSync(GRAMMAR, 'utf8'), GRAMMAR),
  });
  const grammar = (await registry.loadGrammar('source.wit'))!;
  const files = [
    join(ROOT, 'wit', 'lambda.wit'),
    join(ROOT, 'wit', 'http.wit'),
    ...readdirSync(join(ROOT, 'wit', 'deps'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(ROOT, 'wit', 'deps', d.name, 'package.wit')),
  ];
  const unscoped: string[] = [];
  for (const file of files) {
    let state = textmate.INITIAL;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        const { tokens, ruleStack } = grammar.tokenizeLine(line, state);
        state = ruleStack;
        for (const token of tokens) {
          const text = line.slice(token.startIndex, token.endIndex);
          if (text.trim() && !token.scopes.some((s) => s !== 'source.wit' && !s.startsWith('meta.'))) {
            unscoped.push(`${file.slice(ROOT.length + 1)}:${index + 1}: "${text.trim()}" (${token.scopes.join(' ')})`);
          }
        }
      });
  }
  assert.deepEqual(unscoped, []);
});
