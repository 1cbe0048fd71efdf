// parseRequestHead (runner/runtime-api/http1.ts) reads a request head in one pass, a character at a time. Its rules are
// stated here a second way, the way it first read heads (a split into lines and a regular expression per header
// name and value): both must agree on every head, the odd ones above all, since `plain` decides whether a request
// is answered here or handed to node:http.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequestHead, PLAIN_HEAD_BYTES, rawHeadersOf, type RequestHead } from '../../runner/runtime-api/http1.ts';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The rules, as regular expressions over split lines. */
function reference(text: string): RequestHead | string {
  const lines = text.split('\r\n');
  const request = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(lines[0] ?? '');
  if (!request) return `"${(lines[0] ?? '').slice(0, 100)}" is not an HTTP/1.1 request line.`;
  const headers = new Map<string, string>();
  let plain = request[3] === '1' && text.length <= PLAIN_HEAD_BYTES && request[2]!.startsWith('/');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return `"${line.slice(0, 100)}" is not a header line.`;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (headers.has(name)) {
      if (name === 'content-length' || name === 'transfer-encoding') plain = false;
      continue;
    }
    if (!TOKEN.test(line.slice(0, colon)) || !FIELD_VALUE.test(value)) plain = false;
    headers.set(name, value);
  }
  if (headers.has('expect') || headers.has('upgrade')) plain = false;
  const connection = headers.get('connection')?.toLowerCase();
  if (connection !== undefined && connection !== 'keep-alive' && connection !== 'close') plain = false;
  const encoding = headers.get('transfer-encoding');
  const declared = headers.get('content-length');
  let body: number | 'chunked';
  if (encoding !== undefined) {
    if (encoding.toLowerCase() !== 'chunked' || declared !== undefined) plain = false;
    body = 'chunked';
  } else {
    body = declared === undefined ? 0 : Number(declared);
    if (!/^\d*$/.test(declared ?? '') || !Number.isSafeInteger(body)) return `Content-Length "${declared}" is not a number of bytes.`;
  }
  const target = request[2]!;
  const query = target.indexOf('?');
  return { method: request[1]!, path: query < 0 ? target : target.slice(0, query), headers, body, close: connection === 'close', plain };
}

const START = 'POST /2018-06-01/runtime/invocation/abc/response?x=1 HTTP/1.1';
const HEADS = [
  START,
  `${START}\r\nHost: 127.0.0.1:9001\r\nContent-Length: 15\r\nContent-Type: application/json`,
  'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: x\r\nconnection: close',
  'GET /2018-06-01/runtime/invocation/next HTTP/1.0\r\nHost: x',
  'GET * HTTP/1.1\r\nHost: x',
  'GET  / HTTP/1.1',
  'get / HTTP/1.1',
  '',
  'GET / HTTP/2.0',
  `${START}\r\nTransfer-Encoding: chunked`,
  `${START}\r\nTransfer-Encoding: gzip, chunked`,
  `${START}\r\nTransfer-Encoding: chunked\r\nContent-Length: 3`,
  `${START}\r\nContent-Length: 3\r\nContent-Length: 3`,
  `${START}\r\nTransfer-Encoding: chunked\r\ntransfer-encoding: chunked`,
  `${START}\r\nContent-Length: -1`,
  `${START}\r\nContent-Length: 1e3`,
  `${START}\r\nContent-Length: 99999999999999999999`,
  `${START}\r\nContent-Length:`,
  `${START}\r\nContent-Length:   7   `,
  `${START}\r\nContent-Length:\t7\t`,
  `${START}\r\nExpect: 100-continue`,
  `${START}\r\nUpgrade: websocket\r\nConnection: Upgrade`,
  `${START}\r\nConnection: Keep-Alive`,
  `${START}\r\nConnection: keep-alive, TE`,
  `${START}\r\nNo colon here`,
  `${START}\r\n: no name`,
  `${START}\r\n`,
  `${START}\r\n\r\nX: y`,
  `${START}\r\nX Y: z`,
  `${START}\r\n X: folded`,
  `${START}\r\nX: a\r\n  continued`,
  `${START}\r\nX : spaced name`,
  `${START}\r\nX: a\nb`,
  `${START}\r\nX: a\rb`,
  `${START}\r\nX: \x0bvertical tab\x0c`,
  `${START}\r\nX: \xa0nbsp\xa0`,
  `${START}\r\nX: \x7f`,
  `${START}\r\nX: \x00`,
  `${START}\r\nX: caf\xe9`,
  `${START}\r\nX: a\r`,
  `${START}\r\nX:\n`,
  `${START}\r\nX\xe9: y`,
  `${START}\r\nLambda-Runtime-Function-Error-Type: Runtime.Error\r\nlambda-runtime-function-error-type: other`,
  `${START}\r\nX-Long: ${'v'.repeat(PLAIN_HEAD_BYTES)}`,
  `GET /${'p'.repeat(200)} HTTP/1.1\r\n${'n'.repeat(150)}`,
];

/** node:http's rawHeaders for a head, by the rules: each line's name as sent and its value trimmed, in order. */
function referenceRaw(text: string): string[] {
  return text
    .split('\r\n')
    .slice(1)
    .flatMap((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]);
}

/** A head read both ways; for a plain one, its raw headers (what payload 1.0 events are built from) too. */
function agrees(head: string): void {
  const parsed = parseRequestHead(head);
  assert.deepEqual(parsed, reference(head), JSON.stringify(head));
  if (typeof parsed !== 'string' && parsed.plain && referenceRaw(head).length === parsed.headers.size * 2)
    assert.deepEqual(rawHeadersOf(head), referenceRaw(head), JSON.stringify(head));
}

test("parseRequestHead reads each head as the rules say, the odd ones too; rawHeadersOf keeps a plain head's names as sent", () => {
  for (const head of HEADS) agrees(head);
  assert.deepEqual(rawHeadersOf(`${START}\r\nUser-Agent:  curl/8 \r\nX-Empty:\r\nx-lower: \tv`), ['User-Agent', 'curl/8', 'X-Empty', '', 'x-lower', 'v']);
});

test('parseRequestHead agrees with the rules on random heads built from the characters that matter', () => {
  // A fixed seed: the same heads every run.
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pieces = [
    '\r\n',
    '\r',
    '\n',
    ':',
    ' ',
    '\t',
    '\x0b',
    '\xa0',
    '\x7f',
    '\x00',
    '\xe9',
    'a',
    'Z',
    '-',
    '"',
    ',',
    'content-length',
    'transfer-encoding',
    'chunked',
    '12',
    'x',
  ];
  for (let round = 0; round < 5000; round++) {
    let head = START;
    const length = random(12);
    for (let i = 0; i < length; i++) head += pieces[random(pieces.length)];
    agrees(head);
  }
});
