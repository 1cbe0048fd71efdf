// The middleware snippets: valid JSON in VS Code's snippet format, every `$` either a tab stop or escaped (an
// unescaped ${hook} in a template literal would become a placeholder), and the executable ones really work.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const SNIPPETS = resolve(import.meta.dirname, '..', '..', 'snippets');
const files = readdirSync(SNIPPETS).filter((f) => /^middleware.*\.json$/.test(f));
const dir = mkdtempSync(join(tmpdir(), 'or-snippets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Snippet = { prefix: string | string[]; body: string[]; description: string };
const all = new Map<string, Snippet>();
for (const f of files) for (const [name, s] of Object.entries(JSON.parse(readFileSync(join(SNIPPETS, f), 'utf8')) as Record<string, Snippet>)) all.set(name, s);

/** What the editor inserts with every tab stop at its default. */
function expand(body: string[]): string {
  let text = body.join('\n');
  for (let i = 0; i < 5; i++) text = text.replace(/\$\{(\d+):([^{}$]*)\}/g, '$2').replace(/\$\{(\d+)\|([^,|]*)[^|]*\|\}/g, '$2');
  return text.replace(/(?<!\\)\$\d+/g, '').replace(/\\\$/g, '$');
}

test('every snippet has a prefix, a description, and only tab stops or escaped dollars', () => {
  assert.ok(files.length >= 5);
  for (const [name, s] of all) {
    assert.ok(s.prefix.length && s.description && s.body.length, name);
    const unescaped = s.body.join('\n').match(/(?<!\\)\$\{(?!\d+[:|}])/g);
    assert.equal(unescaped, null, `${name} has an unescaped \${`);
  }
});

test('the executable middleware snippets run as middlewares', () => {
  const cases: Array<[string, string, string[]]> = [
    ['Executable middleware (Node)', 'mw.mjs', [process.execPath]],
    ['Executable middleware (Python)', 'mw.py', ['python3']],
    ['Executable middleware (bash)', 'mw.sh', ['bash']],
  ];
  for (const [name, file, command] of cases) {
    const path = join(dir, file);
    writeFileSync(path, expand(all.get(name)!.body));
    const out = execFileSync(command[0]!, [...command.slice(1), path, 'after'], {
      input: '{"statusCode":200,"name":"x"}',
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    assert.deepEqual(JSON.parse(out), { statusCode: 200, name: 'x' }, name);
  }
  const node = execFileSync(process.execPath, [join(dir, 'mw.mjs'), 'before'], { input: '{"headers":{}}', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  assert.deepEqual(JSON.parse(node), { $response: { statusCode: 401, body: 'Unauthorized' } });
  const python = execFileSync('python3', [join(dir, 'mw.py'), 'before'], { input: '{}', encoding: 'utf8' });
  assert.deepEqual(JSON.parse(python), { $error: { errorType: 'Validation.Failed', errorMessage: 'name is required' } });
});

test('the long-lived snippets answer line by line', () => {
  const node = join(dir, 'serve.mjs');
  writeFileSync(node, expand(all.get('Long-lived executable middleware (Node)')!.body));
  const out = execFileSync(process.execPath, [node, 'serve'], {
    input: '{"id":1,"hook":"after","input":{"a":1}}\n{"id":2,"hook":"before","input":{}}\n',
    encoding: 'utf8',
  });
  const [first, second] = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(first, { id: 1, output: { a: 1 } });
  assert.equal(second.id, 2);
  assert.equal(typeof second.output.receivedAt, 'number');
  const py = join(dir, 'serve.py');
  writeFileSync(py, expand(all.get('Long-lived executable middleware (Python)')!.body));
  const pyOut = execFileSync('python3', [py, 'serve'], { input: '{"id":5,"hook":"before","input":{"b":2}}\n', encoding: 'utf8' });
  assert.deepEqual(JSON.parse(pyOut), { id: 5, output: { b: 2 } });
});
