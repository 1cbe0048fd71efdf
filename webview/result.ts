// The result view's page (runs in the webview, no Node, no vscode module). Renders the ResultModel the
// extension posts, appends streamed chunks as they arrive, and turns stack frames into links that ask the
// extension to open the source line. Everything is built with textContent: no HTML from the function's
// output ever reaches innerHTML.
import type { FromResultView, RequestView, ResultModel, ResponseView, StackFrame, ToResultView } from '../extension/result-model.ts';

interface VsCodeApi {
  postMessage(message: FromResultView): void;
  setState(state: unknown): void;
  getState(): unknown;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('result')!;

type Child = Node | string | undefined | false;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) {
    if (c === undefined || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

const STATE_LABEL: Record<ResultModel['state'], string> = { running: 'Running…', succeeded: 'Succeeded', failed: 'Failed' };

function render(model: ResultModel): void {
  vscode.setState(model);
  const header = el(
    'header',
    {},
    el('h1', { id: 'function' }, model.functionName),
    el(
      'span',
      { id: 'status', class: `badge ${model.state}`, 'data-state': model.state },
      model.debug && model.state === 'running' ? 'Debugging…' : STATE_LABEL[model.state],
    ),
    model.eventLabel !== undefined && el('span', { id: 'event-label', class: 'meta', title: 'Event' }, `event: ${model.eventLabel}`),
    model.requestId !== undefined && el('span', { id: 'request-id', class: 'meta', title: 'Request ID' }, model.requestId),
    el(
      'span',
      { class: 'actions' },
      model.state !== 'running' && button('rerun', 'Re-run', 'Invoke again with the same event', { type: 'rerun' }),
      model.state === 'succeeded' && button('save-as-event', 'Save as event', 'Save this response as a saved event', { type: 'save-as-event' }),
    ),
  );
  const sections: Child[] = [header];
  if (model.eventHint) sections.push(el('p', { id: 'event-hint', class: 'hint' }, `⚠ ${model.eventHint}`));
  if (model.message) sections.push(el('p', { id: 'message', role: 'alert' }, model.message));
  // What came back; with the request beside it when the model has one (REST Client's layout), else as before.
  const exchange: Child[] = [];
  if (model.state === 'running') {
    const prelude = model.streamPrelude;
    exchange.push(
      el(
        'section',
        { id: 'response', 'data-kind': 'stream' },
        el('h2', {}, model.streamed || model.chunks?.length ? 'Streaming response' : 'Waiting for the response'),
        prelude &&
          el(
            'div',
            { id: 'http-status', class: prelude.statusCode < 400 ? 'ok' : 'bad' },
            `${prelude.statusCode} ${HTTP_REASONS[prelude.statusCode] ?? ''}`.trim(),
          ),
        prelude &&
          Object.keys(prelude.headers).length > 0 &&
          el(
            'table',
            { id: 'http-headers' },
            ...Object.entries(prelude.headers).map(([k, v]) => el('tr', { class: 'http-header' }, el('th', {}, k), el('td', {}, v))),
          ),
        el('div', { id: 'chunks' }, ...(model.chunks ?? []).map(chunkNode)),
      ),
    );
  }
  if (model.response) exchange.push(responseSection(model.response, model));
  if (model.error) exchange.push(errorSection(model.error));
  if (model.request) {
    sections.push(el('div', { id: 'exchange', class: 'exchange' }, requestSection(model.request), el('div', { class: 'exchange-response' }, ...exchange)));
  } else sections.push(...exchange);
  if (model.report) sections.push(reportSection(model.report));
  if (model.logs) sections.push(el('details', { id: 'logs' }, el('summary', {}, 'Logs of this invocation'), el('pre', { id: 'log-text' }, model.logs)));
  root.replaceChildren(...sections.filter((s): s is Node => s instanceof Node));
}

function button(id: string, label: string, title: string, message: FromResultView): HTMLButtonElement {
  const b = el('button', { id, title, type: 'button' }, label);
  b.addEventListener('click', () => vscode.postMessage(message));
  return b;
}

function chunkNode(data: string): HTMLElement {
  return el('pre', { class: 'chunk' }, data);
}

function responseSection(response: ResponseView, model: ResultModel): HTMLElement {
  const title = model.streamed ? 'Response (streamed)' : 'Response';
  if (response.kind === 'http') {
    const reason = HTTP_REASONS[response.statusCode] ?? '';
    const ok = response.statusCode < 400;
    return el(
      'section',
      { id: 'response', 'data-kind': 'http' },
      el('h2', {}, title),
      el(
        'div',
        { id: 'http-status', class: ok ? 'ok' : 'bad' },
        `${response.statusCode}${reason ? ` ${reason}` : ''}`,
        response.timeMs !== undefined && el('span', { id: 'http-time', class: 'meta' }, ` · ${response.timeMs.toFixed(1)} ms`),
      ),
      response.headers.length > 0 && el('h2', {}, 'Headers'),
      response.headers.length > 0 &&
        el('table', { id: 'http-headers' }, ...response.headers.map(([k, v]) => el('tr', { class: 'http-header' }, el('th', {}, k), el('td', {}, v)))),
      response.cookies.length > 0 && el('h2', {}, 'Cookies'),
      response.cookies.length > 0 && el('ul', { id: 'http-cookies' }, ...response.cookies.map((c) => el('li', {}, c))),
      el('h2', {}, 'Body'),
      el('pre', { id: 'http-body', 'data-kind': response.bodyKind }, response.body || '(empty)'),
      el('details', {}, el('summary', {}, 'Raw response'), el('pre', { id: 'payload' }, rawPayload(model))),
    );
  }
  return el(
    'section',
    { id: 'response', 'data-kind': response.kind },
    el('h2', {}, title),
    el('pre', { id: 'payload' }, response.text === '' ? '(empty response)' : response.text),
  );
}

/** For HTTP-shaped results the raw payload is kept for copy/paste; streamed ones are the body itself. */
function rawPayload(model: ResultModel): string {
  const r = model.response;
  if (r?.kind !== 'http') return '';
  const headers = Object.fromEntries(r.headers);
  return JSON.stringify({ statusCode: r.statusCode, headers, ...(r.cookies.length ? { cookies: r.cookies } : {}), body: r.body }, null, 2);
}

/** The request that was sent, collapsible: the HTTP request line, headers and body, or the event's JSON. */
function requestSection(request: RequestView): HTMLElement {
  if (request.kind === 'event') {
    return el(
      'details',
      { id: 'request', 'data-kind': 'event', open: '' },
      el('summary', {}, 'Request (event)'),
      el('pre', { id: 'request-event' }, request.text || '(empty event)'),
    );
  }
  return el(
    'details',
    { id: 'request', 'data-kind': 'http', open: '' },
    el('summary', {}, 'Request'),
    el('div', { id: 'request-line' }, el('span', { class: 'method' }, request.method), ' ', request.url),
    request.route !== undefined && el('div', { id: 'request-route', class: 'meta' }, `route: ${request.route}`),
    request.headers.length > 0 && el('h2', {}, 'Headers'),
    request.headers.length > 0 &&
      el('table', { id: 'request-headers' }, ...request.headers.map(([k, v]) => el('tr', { class: 'http-header' }, el('th', {}, k), el('td', {}, v)))),
    request.body !== '' && el('h2', {}, 'Body'),
    request.body !== '' && el('pre', { id: 'request-body' }, request.body),
  );
}

function errorSection(error: NonNullable<ResultModel['error']>): HTMLElement {
  return el(
    'section',
    { id: 'error' },
    el('h2', {}, 'Error'),
    el('div', { id: 'error-type' }, error.errorType),
    el('div', { id: 'error-message' }, error.errorMessage),
    error.frames.length > 0 && el('ol', { id: 'stack' }, ...error.frames.map(frameNode)),
  );
}

function frameNode(frame: StackFrame): HTMLElement {
  if (!frame.file || frame.line === undefined) return el('li', { class: 'stack-frame' }, frame.text);
  const link = el(
    'a',
    { href: '#', class: 'stack-frame-link', title: `Open ${frame.file}:${frame.line}`, 'data-file': frame.file, 'data-line': String(frame.line) },
    frame.text.trim(),
  );
  link.addEventListener('click', (e) => {
    e.preventDefault();
    vscode.postMessage({ type: 'open-frame', file: frame.file!, line: frame.line!, column: frame.column ?? 1 });
  });
  return el('li', { class: 'stack-frame linked' }, link);
}

function reportSection(report: NonNullable<ResultModel['report']>): HTMLElement {
  const row = (id: string, label: string, value: string) => [el('dt', {}, label), el('dd', { id }, value)];
  return el(
    'section',
    { id: 'report' },
    el('h2', {}, 'Report'),
    el(
      'dl',
      {},
      ...row('duration', 'Duration', `${report.durationMs.toFixed(2)} ms`),
      ...row('billed-duration', 'Billed duration', `${report.billedDurationMs} ms`),
      ...row('memory-size', 'Memory size', `${report.memorySizeMB} MB`),
      ...row('max-memory-used', 'Max memory used', `${report.maxMemoryUsedMB} MB`),
      ...(report.initDurationMs !== undefined ? row('init-duration', 'Init duration', `${report.initDurationMs.toFixed(2)} ms`) : []),
    ),
  );
}

const HTTP_REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

window.addEventListener('message', (event: MessageEvent<ToResultView>) => {
  const msg = event.data;
  if (msg.type === 'model') {
    render(msg.model);
    if (msg.seq !== undefined) vscode.postMessage({ type: 'drawn', seq: msg.seq });
  } else if (msg.type === 'chunk') {
    const chunks = document.getElementById('chunks');
    if (chunks) chunks.append(chunkNode(msg.data));
    const state = vscode.getState() as ResultModel | undefined;
    if (state) vscode.setState({ ...state, chunks: [...(state.chunks ?? []), msg.data] });
  }
});

const previous = vscode.getState() as ResultModel | undefined;
if (previous && typeof previous === 'object' && 'functionName' in previous) render(previous);
vscode.postMessage({ type: 'ready' });
