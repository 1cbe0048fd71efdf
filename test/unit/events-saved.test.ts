// Saved events on a real file system (a temporary workspace per test), and where malformed JSON is reported.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { renderEvent, renderEventText } from '../../runner/events/catalogue.ts';
import {
  checkEventName,
  checkJson,
  lastUsed,
  listSavedEvents,
  readSavedEvent,
  rememberLastUsed,
  saveEvent,
  savedEventsDir,
} from '../../runner/events/saved.ts';

let workspace: string;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'open-runtime-events-'));
});

afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('saved events', () => {
  it('lists nothing before anything is saved', async () => {
    assert.deepEqual(await listSavedEvents(workspace, 'OrdersFunction'), []);
  });

  it('saves under .open-runtime/events/<function>/<name>.json and reads back the exact text', async () => {
    const text = '{\r\n  "orderId": "42",\r\n  "note": "ünïcode ✓"\r\n}';
    const saved = await saveEvent(workspace, 'OrdersFunction', 'big order', text);
    assert.equal(saved.path, path.join(workspace, '.open-runtime', 'events', 'OrdersFunction', 'big order.json'));
    assert.equal(await readFile(saved.path, 'utf8'), text);
    const read = await readSavedEvent(saved.path);
    assert.deepEqual(read, { ok: true, text, value: { orderId: '42', note: 'ünïcode ✓' } });
  });

  it('round-trips a rendered catalogue event', async () => {
    const saved = await saveEvent(workspace, 'Worker', 'sqs-batch.json', renderEventText('sqs', { count: '3' }));
    assert.equal(saved.name, 'sqs-batch');
    const read = await readSavedEvent(saved.path);
    assert.ok(read.ok);
    assert.deepEqual(read.value, renderEvent('sqs', { count: '3' }));
  });

  it('lists events by name (numbers in order), per function, ignoring other files', async () => {
    for (const name of ['order 10', 'order 2', 'Alpha', 'beta']) await saveEvent(workspace, 'A', name, '{}');
    await saveEvent(workspace, 'B', 'other', '[]');
    const dir = savedEventsDir(workspace, 'A');
    await writeFile(path.join(dir, 'notes.txt'), 'not an event');
    await mkdir(path.join(dir, 'folder.json'));
    await rememberLastUsed(workspace, 'A', { kind: 'saved', name: 'beta' });
    const listed = await listSavedEvents(workspace, 'A');
    assert.deepEqual(
      listed.map((e) => e.name),
      ['Alpha', 'beta', 'order 2', 'order 10'],
    );
    assert.ok(listed.every((e) => e.function === 'A' && e.path === path.join(dir, `${e.name}.json`)));
    assert.deepEqual(
      (await listSavedEvents(workspace, 'B')).map((e) => e.name),
      ['other'],
    );
  });

  it('refuses to overwrite unless asked, and overwrites cleanly when asked', async () => {
    await saveEvent(workspace, 'Fn', 'e1', '{"v":1}');
    await assert.rejects(
      saveEvent(workspace, 'Fn', 'e1', '{"v":2}'),
      /A saved event called "e1" already exists for Fn; choose another name or save with overwrite\./,
    );
    assert.equal(await readFile(path.join(savedEventsDir(workspace, 'Fn'), 'e1.json'), 'utf8'), '{"v":1}');
    await saveEvent(workspace, 'Fn', 'e1', '{"v":2}', { overwrite: true });
    assert.equal(await readFile(path.join(savedEventsDir(workspace, 'Fn'), 'e1.json'), 'utf8'), '{"v":2}');
    assert.deepEqual(await readdir(savedEventsDir(workspace, 'Fn')), ['e1.json']); // no temporary files left behind
  });

  it('refuses malformed JSON with its position, and writes nothing', async () => {
    await assert.rejects(
      saveEvent(workspace, 'Fn', 'bad', '{\n  "a": 1,\n}'),
      /Event "bad" was not saved: line 2, column 9: A comma before '}' is not allowed/,
    );
    assert.deepEqual(await listSavedEvents(workspace, 'Fn'), []);
  });

  it('refuses names that are not portable file names or would leave the folder', async () => {
    for (const name of ['', '.json', '../escape', 'a/b', 'a\\b', '.hidden', 'trailing.', 'trailing ', 'con', 'NUL.txt', 'x'.repeat(101)]) {
      await assert.rejects(saveEvent(workspace, 'Fn', name, '{}'), /The event name ".*" .*; choose a name like/, name);
    }
    for (const fn of ['..', '.', 'a/b', '']) {
      await assert.rejects(saveEvent(workspace, fn, 'ok', '{}'), /is not a function name/, fn);
    }
    assert.equal(checkEventName('Order 42 (copy)'.replace(/[()]/g, '')), 'Order 42 copy');
    await assert.rejects(readdir(path.join(workspace, '.open-runtime')), { code: 'ENOENT' });
  });

  it('says so when a saved event has gone', async () => {
    await assert.rejects(readSavedEvent(path.join(workspace, 'nope.json')), /The saved event .*nope\.json does not exist .*; pick another event\./);
  });
});

describe('malformed JSON is located, never thrown', () => {
  // [text, line, column, message] with line/column counted by hand.
  const cases: [string, number, number, RegExp][] = [
    ['{\n  "a": 1,\n  "b": 2,\n}', 3, 9, /comma before '}'/],
    ['[\n  1,\n  2,\n]', 3, 4, /comma before ']'/],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /Expected ',' or '}' but found '"'; a comma is probably missing/],
    ['{\r\n  "a": 1\r\n  "b": 2\r\n}', 3, 3, /a comma is probably missing/],
    ['{\r  "a": tru\r}', 2, 8, /tru is not a JSON value/],
    ['{\n  name: "x"\n}', 2, 3, /write "name" instead of name/],
    ["{\n  'name': 1\n}", 2, 3, /double quotes/],
    ['{\n  "a": "unterminated\n}', 2, 8, /not closed on its line/],
    ['{\n  // a comment\n  "a": 1\n}', 2, 3, /Comments are not allowed/],
    ['{"a": [1, 2}', 1, 12, /Expected ',' or ']' in this array but found '}'/],
    ['{\n  "a": {\n    "b": [1, 2]\n', 4, 1, /ends too early: expected '}'; the '\{' at line 2, column 8 is never closed/],
    ['{"a": 1} {"b": 2}', 1, 10, /after the end of the JSON value/],
    ['{"price": 01}', 1, 11, /01 is not a JSON number/],
    ['{"s": "\\x"}', 1, 8, /\\x is not a JSON escape/],
    ['{"s": "\\u12"}', 1, 8, /four hex digits/],
    ['   \n  ', 2, 3, /The text is empty/],
    ['{"emoji": "😀", oops}', 1, 17, /write "oops" instead of oops/],
  ];
  for (const [text, line, column, message] of cases) {
    it(`${JSON.stringify(text)} -> line ${line}, column ${column}`, async () => {
      const file = path.join(workspace, 'bad.json');
      await writeFile(file, text);
      const result = await readSavedEvent(file);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.match(result.message, message);
      assert.deepEqual([result.line, result.column], [line, column], result.message);
      // The offset and the line/column name the same spot.
      const before = text.slice(0, result.offset).split(/\r\n|\n|\r/);
      assert.equal(before.length, line);
      assert.equal(before[before.length - 1]!.length + 1, column);
      assert.equal(JSON.parse(JSON.stringify(result)).offset, result.offset);
      // JSON.parse agrees the text is malformed.
      assert.throws(() => JSON.parse(text));
    });
  }

  it('accepts a byte-order mark and reports valid JSON as ok', () => {
    const result = checkJson('\uFEFF{"a":[1,2.5e3,true,null,"\\u00e9"]}');
    assert.deepEqual(result, { ok: true, text: '\uFEFF{"a":[1,2.5e3,true,null,"\\u00e9"]}', value: { a: [1, 2500, true, null, 'é'] } });
  });

  it('does not overflow on absurd nesting', () => {
    const result = checkJson('['.repeat(100_000));
    assert.equal(result.ok, false);
    if (!result.ok) assert.deepEqual([result.line, result.column, result.offset], [1, 100_001, 100_000]);
  });
});

describe('last used event', () => {
  it('is nothing at first, then the remembered saved event', async () => {
    assert.equal(await lastUsed(workspace, 'Fn'), undefined);
    await saveEvent(workspace, 'Fn', 'happy path', '{}');
    await rememberLastUsed(workspace, 'Fn', { kind: 'saved', name: 'happy path' });
    assert.deepEqual(await lastUsed(workspace, 'Fn'), { kind: 'saved', name: 'happy path' });
    assert.equal(await lastUsed(workspace, 'Other'), undefined);
    assert.deepEqual(JSON.parse(await readFile(path.join(savedEventsDir(workspace, 'Fn'), '.last-used'), 'utf8')), { kind: 'saved', name: 'happy path' });
  });

  it('leaves the file alone when the same event is used again (no write for file watchers to see)', async () => {
    await saveEvent(workspace, 'Fn', 'same', '{}');
    await rememberLastUsed(workspace, 'Fn', { kind: 'saved', name: 'same' });
    const file = path.join(savedEventsDir(workspace, 'Fn'), '.last-used');
    const before = await stat(file);
    await new Promise((r) => setTimeout(r, 20));
    await rememberLastUsed(workspace, 'Fn', { kind: 'saved', name: 'same' });
    const after = await stat(file);
    assert.equal(after.ino, before.ino, 'not replaced by a new file');
    assert.equal(after.mtimeMs, before.mtimeMs, 'not written');
    await rememberLastUsed(workspace, 'Fn', { kind: 'template', id: 'sqs' });
    assert.deepEqual(await lastUsed(workspace, 'Fn'), { kind: 'template', id: 'sqs' }, 'a different choice is still written');
  });

  it('remembers a template with its values, and forgets what no longer exists', async () => {
    await rememberLastUsed(workspace, 'Fn', { kind: 'template', id: 'sqs', values: { body: 'hi' } });
    assert.deepEqual(await lastUsed(workspace, 'Fn'), { kind: 'template', id: 'sqs', values: { body: 'hi' } });
    await rememberLastUsed(workspace, 'Fn', { kind: 'template', id: 'no-such-template' });
    assert.equal(await lastUsed(workspace, 'Fn'), undefined);

    const saved = await saveEvent(workspace, 'Fn', 'gone soon', '{}');
    await rememberLastUsed(workspace, 'Fn', { kind: 'saved', name: 'gone soon' });
    await rm(saved.path);
    assert.equal(await lastUsed(workspace, 'Fn'), undefined);

    await writeFile(path.join(savedEventsDir(workspace, 'Fn'), '.last-used'), 'not json');
    assert.equal(await lastUsed(workspace, 'Fn'), undefined);
  });
});
