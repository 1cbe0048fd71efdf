// One invocation: its event, where it stands, and how it ended.
import { randomFillSync, randomUUID } from 'node:crypto';
import type { Report } from '../protocol.ts';

export type Outcome = { ok: true; body: Buffer; streamed: boolean; contentType: string } | { ok: false; errorType: string; body: Buffer; streamed: boolean };

/** Receives a streamed response as it arrives (the Invoke API's streaming route, the control API). */
export interface StreamListener {
  start(contentType: string): void;
  chunk(data: Buffer): void;
}

/** What the caller said about the invocation beyond its event (Invoke API headers). */
export interface CallerContext {
  /** X-Amz-Tenant-Id: the tenant of a tenant-isolated function (its environments serve no other tenant). */
  tenantId?: string | undefined;
  /** X-Amzn-Trace-Id: the caller's trace header, whose Root and Sampled decision the invocation keeps. */
  traceHeader?: string | undefined;
}

export interface Completion {
  outcome: Outcome;
  report: Report;
  logs: string[];
}

export class Invocation {
  readonly requestId: string;
  readonly traceId: string;
  readonly payload: Buffer;
  /** JSON text of the client context, as the Runtime API hands it to the function (in a header: see headerJson). */
  readonly clientContext: string | undefined;
  readonly cognitoIdentity: string | undefined;
  readonly tenantId: string | undefined;
  /**
   * Lambda-Runtime-Invocation-Id: names one attempt of the request (a fresh one at each delivery to a runtime), so
   * an answer from an attempt that timed out is told from one for the attempt in flight (runtime-api/runtime.ts).
   */
  invocationId = '';
  readonly logs: string[] = [];
  streamListener: StreamListener | undefined;
  /** Its caller takes the response as a stream (InvokeWithResponseStream, a RESPONSE_STREAM Function URL). */
  callerStreams = false;
  deadlineMs = 0;
  deliveredAt = 0;
  /** Fresh environments it was given after one whose runtime exited before it reached the function. */
  retries = 0;
  /** The runtime has started or finished answering: a second answer is an invalid state transition. */
  answered = false;
  outcome: Outcome | undefined;
  /**
   * It runs under a debugger (its environment waits for one, then may stop at breakpoints): timeouts that are not the
   * function's own (an API Gateway's integration timeout) are suspended for it, as the function's own is.
   */
  debugged = false;
  /** The debugger was not asked for by its caller but armed on the function (LocalLambda.setDebugMode, --debug-port). */
  debugArmed = false;
  /**
   * The request id its caller knows, when that is not its own: the function run inside a middleware chain is a
   * second invocation, and what it tells the editor (the debugger is ready) must name the chain's request.
   */
  callerRequestId: string | undefined;

  readonly settled: Promise<Outcome>;
  private resolveSettled!: (o: Outcome) => void;
  /** Made when asked for: most callers (the gateway, the Invoke API without a log tail) never wait for the REPORT. */
  private completion: Promise<Completion> | undefined;
  private resolveCompleted: ((c: Completion) => void) | undefined;
  /** What `complete` was given, for a `completed` asked for afterwards. */
  private report: Report | undefined;

  /** `requestId`: an asynchronous event keeps the id its caller got with the 202 through every attempt. */
  constructor(payload: Buffer, clientContext?: string, cognitoIdentity?: string, requestId: string = randomUUID(), caller: CallerContext = {}) {
    this.requestId = requestId;
    this.payload = payload;
    this.clientContext = clientContext === undefined ? undefined : headerJson(clientContext);
    this.cognitoIdentity = cognitoIdentity === undefined ? undefined : headerJson(cognitoIdentity);
    this.tenantId = caller.tenantId;
    this.traceId = xrayTraceId(caller.traceHeader);
    this.settled = new Promise((r) => (this.resolveSettled = r));
  }

  /** Resolves once the invocation is over: its outcome, its REPORT and its log lines. */
  get completed(): Promise<Completion> {
    if (!this.completion) {
      const report = this.report;
      this.completion =
        report === undefined ? new Promise((r) => (this.resolveCompleted = r)) : Promise.resolve({ outcome: this.outcome!, report, logs: this.logs });
    }
    return this.completion;
  }

  get done(): boolean {
    return this.outcome !== undefined;
  }

  /** The caller's answer is known. Logs and the REPORT follow in `complete`. */
  settle(outcome: Outcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    // The caller's answer goes out now, before whatever the runner does next (e.g. the runtime's 202).
    this.onSettle?.(outcome);
    this.resolveSettled(outcome);
  }

  /** Called synchronously when the outcome is known: the hot path of a waiting caller. */
  private onSettle: ((outcome: Outcome) => void) | undefined;

  /**
   * `answer` with the outcome the moment it is known: now when it is, else synchronously from `settle` (no promise
   * hop on the hot path). One waiting caller: it takes `onSettle`.
   */
  whenSettled(answer: (outcome: Outcome) => void): void {
    if (this.outcome) answer(this.outcome);
    else this.onSettle = answer;
  }

  complete(report: Report): void {
    if (this.report !== undefined) return;
    this.report = report;
    this.resolveCompleted?.({ outcome: this.outcome!, report, logs: this.logs });
  }
}

export function errorOutcome(errorType: string, errorMessage: string, extra: Record<string, unknown> = {}): Outcome {
  return { ok: false, errorType, streamed: false, body: Buffer.from(JSON.stringify({ errorType, errorMessage, ...extra })) };
}

/**
 * JSON that can travel in an HTTP header: on one line, with characters beyond ASCII escaped (\\uXXXX). The same
 * value for the function; a pretty-printed or non-Latin client context otherwise breaks the header.
 */
export function headerJson(text: string): string {
  let compact: string;
  try {
    compact = JSON.stringify(JSON.parse(text));
  } catch {
    compact = JSON.stringify(text);
  }
  return compact.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Random bytes for trace ids, from a pool refilled every 4000 bytes (200 invocations): one call to the system's random
 * source instead of one per invocation.
 */
const TRACE_POOL = Buffer.alloc(4000);
let traceOffset = TRACE_POOL.length;

/** `bytes` random bytes from the pool, as hex. */
function randomHex(bytes: number): string {
  if (traceOffset + bytes > TRACE_POOL.length) {
    randomFillSync(TRACE_POOL);
    traceOffset = 0;
  }
  return TRACE_POOL.toString('hex', traceOffset, (traceOffset += bytes));
}

/** A new X-Ray trace's root, `Root=1-<epoch seconds, hex>-<24 hex digits>`, as AWS's edge writes X-Amzn-Trace-Id. */
export function traceRoot(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomHex(12)}`;
}

/**
 * The invocation's X-Ray trace header. As Lambda: a caller's `X-Amzn-Trace-Id` keeps its Root and its sampling
 * decision, and the function's segment gets a Parent of its own; without one (or without a valid Root) the invocation
 * starts a fresh trace, not sampled.
 */
export function xrayTraceId(callerHeader?: string): string {
  const hex = randomHex(20);
  const parent = hex.slice(24);
  const caller = callerHeader ? parseTraceHeader(callerHeader) : undefined;
  if (caller) return `Root=${caller.root};Parent=${parent};Sampled=${caller.sampled ?? '0'}${caller.lineage ? `;Lineage=${caller.lineage}` : ''}`;
  const time = Math.floor(Date.now() / 1000).toString(16);
  const id = hex.slice(0, 24);
  return `Root=1-${time}-${id};Parent=${parent};Sampled=0;Lineage=1:${id.slice(0, 8)}:0`;
}

const TRACE_ROOT = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;

/** The parts of an `X-Amzn-Trace-Id` header Lambda carries on (`Root=1-...;Parent=...;Sampled=1`), or undefined without a valid Root. */
export function parseTraceHeader(header: string): { root: string; sampled: '0' | '1' | undefined; lineage: string | undefined } | undefined {
  let root: string | undefined;
  let sampled: '0' | '1' | undefined;
  let lineage: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 'Root') root = value;
    else if (key === 'Sampled' && (value === '0' || value === '1')) sampled = value;
    else if (key === 'Lineage' && /^[\w:]+$/.test(value)) lineage = value;
  }
  return root && TRACE_ROOT.test(root) ? { root, sampled, lineage } : undefined;
}
