// wasi:http inside the worker threads. Incoming: the invocation's HTTP request is held in memory (no server,
// no socket) and the component's response is captured, so a wasi:http component is just another function.
// Outgoing: the shim's HTTP client, refused for any host the function's allowedHosts doesn't list.
//
// The resource classes must pass the glue's `instanceof` checks against the classes in the import object, so
// the body classes extend the shim's own (which fetch() responses and request bodies also use).
import { http as shimHttp, clocks as shimClocks } from '@bytecodealliance/preview2-shim';
import { streams as shimStreams } from '@bytecodealliance/preview2-shim/io';
import type { HttpRequest, HttpResponse } from './http-event.ts';
import { isHostAllowed } from './allowed-hosts.ts';

type AnyClass = new (...args: never[]) => object;
interface Fields {
  entries(): Array<[string, Uint8Array]>;
}
interface HttpTypes {
  Fields: { fromList(entries: Array<[string, Uint8Array]>): Fields };
  IncomingBody: AnyClass;
  OutgoingBody: AnyClass & { finish(body: object, trailers: unknown): void };
  [name: string]: unknown;
}
interface OutgoingRequest {
  authority(): string | undefined;
  scheme(): { tag: string; val?: string } | undefined;
}
interface HttpShim {
  types: HttpTypes;
  outgoingHandler: { handle(request: OutgoingRequest, options: unknown): unknown };
  _forbiddenHeaders?: Set<string>;
}
interface Pollable {
  ready(): boolean;
}
interface Clocks {
  monotonicClock: { subscribeDuration(d: bigint): Pollable };
}

const httpShim = shimHttp as unknown as HttpShim;
const clocks = shimClocks as unknown as Clocks;
const { InputStream, OutputStream } = shimStreams as unknown as { InputStream: AnyClass; OutputStream: AnyClass };
const types = httpShim.types;
const FORBIDDEN = new Set(['connection', 'keep-alive', 'host', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings']);
const encoder = new TextEncoder();

/** A pollable that is always ready: in-memory streams never wait. */
export function readyPollable(): Pollable {
  return clocks.monotonicClock.subscribeDuration(0n);
}

/** An input stream over bytes already in memory (a request body, an empty stdin). */
export class MemoryInputStream extends InputStream {
  private offset = 0;
  private readonly data: Uint8Array;
  constructor(data: Uint8Array) {
    super();
    this.data = data;
  }
  read(len: bigint): Uint8Array {
    if (this.offset >= this.data.length) throw { tag: 'closed' };
    const n = Math.min(Number(len), this.data.length - this.offset);
    const chunk = this.data.slice(this.offset, this.offset + n);
    this.offset += n;
    return chunk;
  }
  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }
  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }
  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }
  subscribe(): Pollable {
    return readyPollable();
  }
}

/** An output stream whose writes go to a callback (stdout/stderr lines, a response body). */
export class CapturedOutputStream extends OutputStream {
  private readonly onWrite: (bytes: Uint8Array) => void;
  constructor(onWrite: (bytes: Uint8Array) => void) {
    super();
    this.onWrite = onWrite;
  }
  checkWrite(): bigint {
    return 1n << 20n;
  }
  write(bytes: Uint8Array): void {
    this.onWrite(bytes);
  }
  blockingWriteAndFlush(bytes: Uint8Array): void {
    this.onWrite(bytes);
  }
  flush(): void {}
  blockingFlush(): void {}
  writeZeroes(len: bigint): void {
    this.onWrite(new Uint8Array(Number(len)));
  }
  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }
  subscribe(): Pollable {
    return readyPollable();
  }
}

class RequestBody extends (types.IncomingBody as AnyClass) {
  private input: MemoryInputStream | undefined;
  constructor(body: Uint8Array) {
    super();
    this.input = new MemoryInputStream(body);
  }
  stream(): MemoryInputStream {
    const input = this.input;
    // `stream` may be taken once; the error value of this result is unit.
    if (!input) throw undefined;
    this.input = undefined;
    return input;
  }
}

/** The invocation's HTTP request as a wasi:http incoming-request. */
class IncomingRequest {
  private readonly request: HttpRequest;
  private consumed = false;
  constructor(request: HttpRequest) {
    this.request = request;
  }
  method(): { tag: string; val?: string } {
    const lower = this.request.method.toLowerCase();
    return ['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch'].includes(lower)
      ? { tag: lower }
      : { tag: 'other', val: this.request.method };
  }
  pathWithQuery(): string {
    return this.request.pathWithQuery;
  }
  scheme(): { tag: string } {
    return { tag: this.request.scheme === 'http' ? 'HTTP' : 'HTTPS' };
  }
  authority(): string {
    return this.request.authority;
  }
  headers(): Fields {
    return types.Fields.fromList(
      this.request.headers
        .filter(([name]) => !FORBIDDEN.has(name.toLowerCase()) && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name))
        .map(([n, v]) => [n, encoder.encode(v)]),
    );
  }
  consume(): RequestBody {
    if (this.consumed) throw undefined;
    this.consumed = true;
    return new RequestBody(this.request.body);
  }
  [Symbol.dispose](): void {}
}

class ResponseBody extends (types.OutgoingBody as AnyClass) {
  readonly chunks: Uint8Array[] = [];
  private stream: CapturedOutputStream | undefined = new CapturedOutputStream((bytes) => this.chunks.push(bytes.slice()));
  finished = false;
  write(): CapturedOutputStream {
    const stream = this.stream;
    if (!stream) throw undefined;
    this.stream = undefined;
    return stream;
  }
}

class OutgoingResponse {
  private status = 200;
  private readonly fields: Fields;
  body_: ResponseBody | undefined;
  constructor(headers: Fields) {
    this.fields = headers;
  }
  statusCode(): number {
    return this.status;
  }
  setStatusCode(status: number): void {
    if (!Number.isInteger(status) || status < 100 || status > 999) throw undefined;
    this.status = status;
  }
  headers(): Fields {
    return this.fields;
  }
  body(): ResponseBody {
    if (this.body_) throw undefined;
    this.body_ = new ResponseBody();
    return this.body_;
  }
  [Symbol.dispose](): void {}
}

type OutparamValue = { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: { tag: string; val?: unknown } };

class ResponseOutparam {
  value: OutparamValue | undefined;
  static set(param: ResponseOutparam, response: OutparamValue): void {
    param.value = response;
  }
  [Symbol.dispose](): void {}
}

let finishPatched = false;
function patchFinish(): void {
  if (finishPatched) return;
  finishPatched = true;
  // `outgoing-body.finish` is a static of the shim's class; captured bodies finish in memory.
  const finish = types.OutgoingBody.finish;
  types.OutgoingBody.finish = function (body: object, trailers: unknown) {
    if (body instanceof ResponseBody) {
      body.finished = true;
      return;
    }
    return finish.call(this, body, trailers);
  };
}

export interface HttpExchange {
  request: IncomingRequest;
  outparam: ResponseOutparam;
}

/** The request and response-outparam handed to `wasi:http/incoming-handler.handle`. */
export function incomingExchange(request: HttpRequest): HttpExchange {
  return { request: new IncomingRequest(request), outparam: new ResponseOutparam() };
}

export type ExchangeOutcome = { ok: true; response: HttpResponse } | { ok: false; reason: string };

/** What the component answered, once `handle` returned. */
export function exchangeOutcome(exchange: HttpExchange): ExchangeOutcome {
  const value = exchange.outparam.value;
  if (!value)
    return {
      ok: false,
      reason: 'The component returned from wasi:http/incoming-handler.handle without setting a response (response-outparam.set was never called).',
    };
  if (value.tag === 'err') {
    const code = value.val;
    return {
      ok: false,
      reason: `The component answered with the wasi:http error code "${code.tag}"${code.val !== undefined ? ` (${JSON.stringify(code.val, (_k, v) => (typeof v === 'bigint' ? String(v) : v))})` : ''} instead of a response.`,
    };
  }
  const response = value.val;
  const decoder = new TextDecoder();
  return {
    ok: true,
    response: {
      status: response.statusCode(),
      headers: response
        .headers()
        .entries()
        .map(([name, v]) => [name, decoder.decode(v)]),
      body: Buffer.concat(response.body_?.chunks ?? []),
    },
  };
}

/**
 * The `wasi:http/types` and `wasi:http/outgoing-handler` imports of one instance. `refused` hears about each
 * request to a host outside `allowedHosts`, so the invocation's log says why the guest's request failed.
 */
export function guestHttp(
  allowedHosts: string[],
  refused: (authority: string) => void,
): { types: unknown; outgoingHandler: unknown; incomingHandler?: unknown } {
  patchFinish();
  return {
    ...(shimHttp as object),
    types: { ...types, IncomingRequest, OutgoingResponse, ResponseOutparam },
    outgoingHandler: {
      handle(request: OutgoingRequest, options: unknown) {
        const authority = request.authority();
        const scheme = request.scheme();
        const schemeName = scheme?.tag === 'other' ? String(scheme.val) : (scheme?.tag ?? 'HTTPS').toLowerCase();
        if (!isHostAllowed(authority, schemeName, allowedHosts)) {
          refused(authority ?? '(no host)');
          throw { tag: 'HTTP-request-denied' };
        }
        return httpShim.outgoingHandler.handle(request, options);
      },
    },
  };
}
