// What the result view shows, computed from an InvokeResult: pretty JSON, or status/headers/body for
// HTTP-shaped responses, or streamed chunks; the REPORT figures; and errors whose stack frames point at
// source lines. vscode-free (types only from the protocol), so the webview gets plain data and tests can
// check the shapes. Shared by extension/result-view.ts and webview/result.ts.
import type { InvokeResult, Report } from '../runner/protocol.ts';

export interface StackFrame {
  readonly text: string;
  /** Absolute path (or file: URL) when the frame points into a file the editor can open. */
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  readonly column?: number;
}

export type ResponseView =
  | { readonly kind: 'json'; readonly text: string }
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'http';
      readonly statusCode: number;
      readonly headers: ReadonlyArray<readonly [string, string]>;
      readonly cookies: readonly string[];
      readonly body: string;
      readonly bodyKind: 'json' | 'text' | 'binary';
      /** Sent over HTTP from the editor: milliseconds from the request's first byte to the response's last. */
      readonly timeMs?: number;
    };

/** What was sent, shown beside the response: the event of an invoke, or the HTTP request sent to a route. */
export type RequestView =
  | { readonly kind: 'event'; readonly text: string }
  | {
      readonly kind: 'http';
      readonly method: string;
      readonly url: string;
      /** The route it was sent to (`GET /orders/{id}`). */
      readonly route?: string;
      readonly headers: ReadonlyArray<readonly [string, string]>;
      readonly body: string;
    };

export interface ResultModel {
  readonly functionName: string;
  readonly state: 'running' | 'succeeded' | 'failed';
  readonly requestId?: string;
  /** Which event was sent: a saved event's name, a template, or "inline JSON". */
  readonly eventLabel?: string;
  /** What was sent (the event, or the HTTP request), shown beside the response. */
  readonly request?: RequestView;
  /** One line when the event's source is not one of the function's declared triggers. */
  readonly eventHint?: string;
  readonly debug?: boolean;
  readonly response?: ResponseView;
  readonly streamed?: boolean;
  readonly chunks?: readonly string[];
  /** While a streamed HTTP response arrives: its status and headers (the prelude), once received. */
  readonly streamPrelude?: { readonly statusCode: number; readonly headers: Readonly<Record<string, string>> };
  readonly report?: Report;
  readonly error?: { readonly errorType: string; readonly errorMessage: string; readonly frames: readonly StackFrame[] };
  /** A failure before or around the invocation (runner unreachable, bad event...): one sentence. */
  readonly message?: string;
  readonly logs?: string;
}

/** Messages from the extension to the webview. */
export type ToResultView =
  /** `seq` numbers the models shown, so the page can say which one it has drawn. */
  { readonly type: 'model'; readonly model: ResultModel; readonly seq?: number } | { readonly type: 'chunk'; readonly data: string };

/** Messages from the webview to the extension. */
export type FromResultView =
  | { readonly type: 'ready' }
  /** The model numbered `seq` is on screen. */
  | { readonly type: 'drawn'; readonly seq: number }
  | { readonly type: 'open-frame'; readonly file: string; readonly line: number; readonly column: number }
  | { readonly type: 'rerun' }
  | { readonly type: 'save-as-event' };

/** Shown in full up to this size; a bigger event is cut in the view (the history keeps what was sent). */
const SHOWN_EVENT_CHARS = 64 * 1024;

/** The event of an invoke as the result view shows it: pretty JSON, cut when it is very large. */
export function eventRequestView(payload: string): RequestView {
  let text = payload;
  try {
    text = JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    /* show it as sent */
  }
  if (text.length > SHOWN_EVENT_CHARS)
    text = `${text.slice(0, SHOWN_EVENT_CHARS)}\n… (${text.length - SHOWN_EVENT_CHARS} more characters: "Open Event" in the history shows all of it)`;
  return { kind: 'event', text };
}

export function describeResult(
  result: InvokeResult,
  extra: { eventLabel?: string; eventHint?: string; debug?: boolean; request?: RequestView } = {},
): ResultModel {
  const failed = result.functionError !== undefined || result.error !== undefined;
  const base = {
    functionName: result.function,
    requestId: result.requestId,
    state: failed ? ('failed' as const) : ('succeeded' as const),
    streamed: result.streamed,
    report: result.report,
    logs: result.logs,
    ...(extra.eventLabel !== undefined ? { eventLabel: extra.eventLabel } : {}),
    ...(extra.eventHint !== undefined ? { eventHint: extra.eventHint } : {}),
    ...(extra.debug ? { debug: true } : {}),
    ...(extra.request ? { request: extra.request } : {}),
  };
  if (failed) {
    const fromPayload = errorFromPayload(result.payload);
    const errorType = result.error?.errorType ?? fromPayload?.errorType ?? 'Unhandled';
    const errorMessage = result.error?.errorMessage ?? fromPayload?.errorMessage ?? result.payload;
    const stack = result.error?.stackTrace ?? fromPayload?.stackTrace ?? [];
    return {
      ...base,
      error: {
        errorType,
        errorMessage,
        frames: stack
          .flatMap((s) => s.split('\n'))
          .filter((s) => s.trim())
          .map(parseStackFrame),
      },
    };
  }
  return { ...base, response: describeResponse(result) };
}

function errorFromPayload(payload: string): { errorType?: string; errorMessage?: string; stackTrace?: string[] } | undefined {
  try {
    const v = JSON.parse(payload) as Record<string, unknown>;
    if (v && typeof v === 'object') {
      return {
        ...(typeof v.errorType === 'string' ? { errorType: v.errorType } : {}),
        ...(typeof v.errorMessage === 'string' ? { errorMessage: v.errorMessage } : {}),
        ...(Array.isArray(v.stackTrace) ? { stackTrace: v.stackTrace.map(String) } : {}),
      };
    }
  } catch {
    /* not JSON */
  }
  return undefined;
}

export function describeResponse(result: Pick<InvokeResult, 'payload' | 'streamed' | 'httpPrelude'>): ResponseView {
  if (result.streamed && result.httpPrelude) {
    const headers = Object.entries(result.httpPrelude.headers ?? {});
    return {
      kind: 'http',
      statusCode: result.httpPrelude.statusCode ?? 200,
      headers,
      cookies: result.httpPrelude.cookies ?? [],
      ...describeHttpBody(result.payload, false, headers),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(result.payload);
  } catch {
    return { kind: 'text', text: result.payload };
  }
  if (isHttpShaped(value)) {
    const headers: Array<[string, string]> = Object.entries(value.headers ?? {}).map(([k, v]) => [k, String(v)]);
    for (const [k, vs] of Object.entries(value.multiValueHeaders ?? {})) {
      for (const v of Array.isArray(vs) ? vs : [vs]) headers.push([k, String(v)]);
    }
    const body = typeof value.body === 'string' ? value.body : value.body === undefined ? '' : JSON.stringify(value.body);
    return {
      kind: 'http',
      statusCode: value.statusCode,
      headers,
      cookies: Array.isArray(value.cookies) ? value.cookies.map(String) : [],
      ...describeHttpBody(body, value.isBase64Encoded === true, headers),
    };
  }
  return { kind: 'json', text: JSON.stringify(value, null, 2) };
}

interface HttpShaped {
  statusCode: number;
  headers?: Record<string, unknown>;
  multiValueHeaders?: Record<string, unknown>;
  cookies?: unknown;
  body?: unknown;
  isBase64Encoded?: unknown;
}

/** API Gateway / ALB / Function URL proxy responses: a numeric statusCode plus body or headers. */
export function isHttpShaped(value: unknown): value is HttpShaped {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.statusCode === 'number' &&
    Number.isInteger(v.statusCode) &&
    v.statusCode >= 100 &&
    v.statusCode <= 599 &&
    ('body' in v || 'headers' in v || 'multiValueHeaders' in v || 'cookies' in v)
  );
}

/** A response body for display: decoded from base64, pretty JSON, or a line saying it is binary. */
export function describeHttpBody(
  raw: string,
  base64: boolean,
  headers: ReadonlyArray<readonly [string, string]>,
): { body: string; bodyKind: 'json' | 'text' | 'binary' } {
  let text = raw;
  if (base64) {
    const bytes = decodeBase64(raw);
    const decoded = bytes ? utf8OrUndefined(bytes) : undefined;
    if (decoded === undefined || /[\x00-\x08\x0e-\x1f]/.test(decoded)) {
      const type = headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'unknown type';
      return { body: `${bytes ? bytes.length : '?'} bytes of binary data (${type}), base64-encoded`, bodyKind: 'binary' };
    }
    text = decoded;
  }
  try {
    return { body: JSON.stringify(JSON.parse(text), null, 2), bodyKind: 'json' };
  } catch {
    return { body: text, bodyKind: 'text' };
  }
}

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function decodeBase64(text: string): Uint8Array | undefined {
  try {
    const bin = atob(text.replace(/\s+/g, ''));
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

const PRELUDE_DELIMITER = '\u0000'.repeat(8);

/**
 * A streamed HTTP-integration response starts with a JSON prelude (status, headers) and 8 NUL bytes, then
 * the body. Given what has arrived so far: the prelude and the body after it, or just body when the stream
 * has no prelude, or undefined while the prelude may still be arriving.
 */
export function takeHttpPrelude(arrived: string): { prelude?: NonNullable<ResultModel['streamPrelude']>; body: string } | undefined {
  if (!arrived.trimStart().startsWith('{')) return { body: arrived };
  const at = arrived.indexOf(PRELUDE_DELIMITER);
  if (at < 0) return arrived.length > 64 * 1024 ? { body: arrived } : undefined;
  try {
    const p = JSON.parse(arrived.slice(0, at)) as { statusCode?: unknown; headers?: Record<string, unknown> };
    const headers = Object.fromEntries(Object.entries(p.headers ?? {}).map(([k, v]) => [k, String(v)]));
    return { prelude: { statusCode: typeof p.statusCode === 'number' ? p.statusCode : 200, headers }, body: arrived.slice(at + PRELUDE_DELIMITER.length) };
  } catch {
    return { body: arrived };
  }
}

/**
 * One line of a stack trace, with the file/line/column it points to when there is one.
 * Node: `at fn (/abs/file.ts:12:5)`, `at /abs/file.js:3:1`, `at async fn (file:///abs/x.mjs:1:2)`.
 * Python: `File "/abs/app.py", line 12, in handler`.
 */
export function parseStackFrame(text: string): StackFrame {
  const py = /File "([^"]+)", line (\d+)/.exec(text);
  if (py) return linkable(text, py[1]!, Number(py[2]), 1);
  const node = /(?:\(|\bat\s+)([^()\s][^()]*?):(\d+)(?::(\d+))?\)?\s*$/.exec(text);
  if (node) return linkable(text, node[1]!, Number(node[2]), node[3] ? Number(node[3]) : 1);
  return { text };
}

function linkable(text: string, file: string, line: number, column: number): StackFrame {
  if (file.startsWith('node:') || file.startsWith('internal/') || file.startsWith('<') || file.startsWith('index ')) return { text };
  return { text, file: file.startsWith('file://') ? decodeURIComponent(file.slice('file://'.length)) : file, line, column };
}

/** Figures as Lambda prints them in REPORT, for one line of summary. */
export function reportSummary(report: Report): string {
  const parts = [
    `Duration: ${report.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${report.billedDurationMs} ms`,
    `Memory Size: ${report.memorySizeMB} MB`,
    `Max Memory Used: ${report.maxMemoryUsedMB} MB`,
  ];
  if (report.initDurationMs !== undefined) parts.push(`Init Duration: ${report.initDurationMs.toFixed(2)} ms`);
  return parts.join('  ');
}
