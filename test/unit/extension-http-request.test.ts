// "Send request" without the editor (extension/routes/http-request.ts and runner/events/saved-requests.ts): the path
// parameters a route asks for and the path they make, the headers the user types, where a request may go, the
// request sent over real HTTP (a real local server) and its answer as the result view shows it, and where the last
// request of each route is kept.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as undici from 'undici';
import {
  fillPath,
  headerText,
  httpRequestView,
  httpResponseView,
  methodChoices,
  parametersOf,
  parseHeaderText,
  pathParameters,
  requestUrl,
  sendHttpRequest,
  takesBody,
} from '../../extension/routes/http-request.ts';
import { eventRequestView } from '../../extension/result-model.ts';
import { loadSavedRequest, saveRequest, savedRequestPath } from '../../runner/events/saved-requests.ts';

describe('path parameters', () => {
  it('finds {name} and greedy {name+} in order', () => {
    assert.deepEqual(pathParameters('/users/{userId}/files/{path+}'), [
      { name: 'userId', greedy: false },
      { name: 'path', greedy: true },
    ]);
    assert.deepEqual(pathParameters('/hello'), []);
    assert.deepEqual(pathParameters('$default'), []);
  });

  it('fills them percent-encoded; a greedy one keeps its slashes', () => {
    assert.equal(fillPath('/orders/{id}', { id: 'a b/c' }), '/orders/a%20b%2Fc');
    assert.equal(fillPath('/files/{path+}', { path: 'docs/read me.md' }), '/files/docs/read%20me.md');
    assert.equal(fillPath('/hello', {}), '/hello');
    assert.equal(fillPath('$default', {}), '/');
  });

  it('a missing value is an error naming the parameter', () => {
    assert.throws(() => fillPath('/orders/{id}', {}), /needs a value for \{id\}/);
    assert.throws(() => fillPath('/files/{path+}', { path: '' }), /\{path\+\}/);
  });

  it('reads the values back from a filled path (to offer them again), query string or not', () => {
    assert.deepEqual(parametersOf('/orders/{id}/items/{item}', '/orders/42/items/x%20y?full=1'), { id: '42', item: 'x y' });
    assert.deepEqual(parametersOf('/files/{path+}', '/files/a/b.txt'), { path: 'a/b.txt' });
    assert.deepEqual(parametersOf('/orders/{id}', '/users/1'), {});
  });
});

describe('methods and headers', () => {
  it("offers the route's method first; GET for ANY", () => {
    assert.deepEqual(methodChoices('POST').slice(0, 2), ['POST', 'GET']);
    assert.equal(methodChoices('ANY')[0], 'GET');
    assert.equal(new Set(methodChoices('DELETE')).size, methodChoices('DELETE').length);
    assert.equal(takesBody('GET'), false);
    assert.equal(takesBody('PATCH'), true);
  });

  it('reads name: value pairs separated by ;; or a JSON object, and writes them back', () => {
    assert.deepEqual(parseHeaderText(''), {});
    assert.deepEqual(parseHeaderText('accept: application/json;; cookie: a=1; b=2'), { accept: 'application/json', cookie: 'a=1; b=2' });
    assert.deepEqual(parseHeaderText('{"x-api-key": "k", "x-n": 3}'), { 'x-api-key': 'k', 'x-n': '3' });
    assert.equal(headerText({ accept: 'text/html', 'x-a': 'b: c' }), 'accept: text/html;; x-a: b: c');
    assert.deepEqual(parseHeaderText(headerText({ accept: 'text/html', 'x-a': 'b: c' })), { accept: 'text/html', 'x-a': 'b: c' });
  });

  it('says what is wrong with headers it cannot read', () => {
    assert.throws(() => parseHeaderText('no colon here'), /is not a header: write name: value/);
    assert.throws(() => parseHeaderText('bad name: x'), /not a valid header name/);
    assert.throws(() => parseHeaderText('{"a": '), /not a JSON object/);
    assert.throws(() => parseHeaderText('["a"]'), /must be a JSON object/);
  });

  it('a request only ever goes to the local gateway', () => {
    assert.equal(requestUrl(3000, '/hello?name=Ada'), 'http://127.0.0.1:3000/hello?name=Ada');
    assert.throws(() => requestUrl(3000, '//evil.example/x'), /single "\/"/);
    assert.throws(() => requestUrl(3000, 'http://evil.example/'), /single "\/"/);
    assert.throws(() => requestUrl(3000, '@evil.example/'), /single "\/"/);
  });
});

describe('sending over real HTTP', () => {
  let server: Server;
  let port = 0;
  const seen: Array<{ method?: string; url?: string; headers: Record<string, unknown>; body: string }> = [];
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', () => {
          seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
          if (req.url === '/binary') {
            res.writeHead(200, { 'content-type': 'image/png' });
            return res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
          }
          res.writeHead(
            201,
            [
              ['content-type', 'application/json'],
              ['set-cookie', 'a=1'],
              ['set-cookie', 'b=2'],
            ].flat(),
          );
          res.end(JSON.stringify({ ok: true, method: req.method }));
        });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('sends method, path, headers and body, and reads status, headers, cookies and body back', async () => {
    const request = {
      method: 'POST',
      path: '/orders/42?x=1',
      pathParameters: { id: '42' },
      headers: { 'content-type': 'application/json', 'x-trace': 't1' },
      body: '{"qty":2}',
    };
    const exchange = await sendHttpRequest(undici, port, request);
    assert.deepEqual(seen.at(-1) && { method: seen.at(-1)!.method, url: seen.at(-1)!.url, trace: seen.at(-1)!.headers['x-trace'], body: seen.at(-1)!.body }, {
      method: 'POST',
      url: '/orders/42?x=1',
      trace: 't1',
      body: '{"qty":2}',
    });
    assert.equal(exchange.status, 201);
    assert.ok(exchange.durationMs > 0);
    const view = httpResponseView(exchange);
    assert.ok(view.kind === 'http');
    assert.equal(view.statusCode, 201);
    assert.deepEqual(view.cookies, ['a=1', 'b=2']);
    assert.ok(!view.headers.some(([k]) => k === 'set-cookie'), 'cookies are shown apart from the headers');
    assert.equal(view.bodyKind, 'json');
    assert.deepEqual(JSON.parse(view.body), { ok: true, method: 'POST' });
    assert.equal(view.timeMs, exchange.durationMs);
  });

  it('sends no body with GET, and shows a binary answer as binary', async () => {
    const exchange = await sendHttpRequest(undici, port, { method: 'GET', path: '/binary', pathParameters: {}, headers: {}, body: 'ignored' });
    assert.equal(seen.at(-1)!.body, '');
    assert.equal(exchange.bodyBase64, true);
    const view = httpResponseView(exchange);
    assert.ok(view.kind === 'http' && view.bodyKind === 'binary' && /7 bytes of binary data \(image\/png\)/.test(view.body), JSON.stringify(view));
  });

  it('shows the request beside the response: request line, route, headers, body', () => {
    const view = httpRequestView({ method: 'PUT', path: '/orders/7', pathParameters: {}, headers: { a: 'b' }, body: 'x' }, 3000, {
      method: 'PUT',
      path: '/orders/{id}',
    });
    assert.deepEqual(view, { kind: 'http', method: 'PUT', url: 'http://127.0.0.1:3000/orders/7', route: 'PUT /orders/{id}', headers: [['a', 'b']], body: 'x' });
  });
});

describe('the event of an ordinary invoke, as the request', () => {
  it('is shown as pretty JSON, as sent when not JSON, and cut when huge', () => {
    assert.deepEqual(eventRequestView('{"a":1}'), { kind: 'event', text: '{\n  "a": 1\n}' });
    assert.deepEqual(eventRequestView('not json'), { kind: 'event', text: 'not json' });
    const huge = eventRequestView(JSON.stringify({ s: 'x'.repeat(200_000) }));
    assert.ok(huge.kind === 'event' && huge.text.length < 70_000 && /more characters: "Open Event"/.test(huge.text));
  });
});

describe('the request saved per route', () => {
  let workspace: string;
  before(async () => {
    workspace = await mkdtemp(path.join(tmpdir(), 'open-runtime-requests-'));
  });
  after(() => rm(workspace, { recursive: true, force: true }));

  it('lives beside saved events, in requests/<function>/, one file per route', () => {
    assert.equal(
      savedRequestPath(workspace, { function: 'Orders', method: 'GET', path: '/orders/{id}' }),
      path.join(workspace, '.open-runtime', 'requests', 'Orders', 'GET orders-_id_.json'),
    );
    assert.notEqual(
      savedRequestPath(workspace, { function: 'Orders', method: 'GET', path: '/orders/id' }),
      savedRequestPath(workspace, { function: 'Orders', method: 'GET', path: '/orders/{id}' }),
    );
    assert.equal(path.basename(savedRequestPath(workspace, { function: 'All', method: 'ANY', path: '$default' })), 'ANY default.json');
    assert.throws(() => savedRequestPath(workspace, { function: '../escape', method: 'GET', path: '/' }), /not a function name/);
  });

  it('is read back as saved; nothing before the first send or when the file is broken', async () => {
    const route = { function: 'HelloTs', method: 'GET', path: '/hello' };
    assert.equal(await loadSavedRequest(workspace, route), undefined);
    const request = { method: 'GET', path: '/hello?name=Ada', pathParameters: {}, headers: { accept: 'application/json' }, body: '' };
    const file = await saveRequest(workspace, route, request);
    assert.deepEqual(await loadSavedRequest(workspace, route), request);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), request);
    await saveRequest(workspace, route, { ...request, path: '/hello' });
    assert.equal((await loadSavedRequest(workspace, route))?.path, '/hello', 'the last request replaces the previous one');
    await assert.rejects(saveRequest(workspace, route, { ...request, path: '//evil.example/' }), /single "\/"/);
  });
});
