// "Send request" and "Open in browser" on a route of the Routes view: ask for the method, the path parameters, the
// path (query string included), headers and body, prefilled with what was last sent to that route (kept per route in
// the workspace, runner/events/saved-requests.ts); send it over real HTTP to the runner's gateway; show the response
// beside the request in the result view; record the invocation with the HTTP request that caused it, so "Re-run"
// sends the request again. The invocation itself is an ordinary one of the gateway: its logs and REPORT come from the
// runner's event stream.
import * as vscode from 'vscode';
import type { HttpRequestSpec, RouteKey } from '../../runner/events/saved-requests.ts';
import type { GatewayRoute, InvokeResult } from '../../runner/protocol.ts';
import type { Ctx } from '../ctx.ts';
import type { HistoryEntry } from '../history.ts';
import { describeResult, type ResultModel } from '../result-model.ts';
import { loadUndici, RunnerError, type RunnerSidecar } from '../runner-client.ts';
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
  type HttpExchange,
} from './http-request.ts';

export interface RouteArgs {
  /** A row of the Routes view (a GatewayRoute), or just the route's function, method and declared path. */
  readonly route?: GatewayRoute | RouteKey;
  /** The workspace folder (URI string) the route belongs to; default: the first. */
  readonly folder?: string;
}

export interface SendRequestArgs extends RouteArgs {
  /** Send this without asking; what it leaves out comes from the request saved for the route, then the route. */
  readonly request?: Partial<HttpRequestSpec>;
}

/** What "Send request" returns (for tests and other extensions). */
export interface SentRequest {
  readonly entryId: string;
  readonly request: HttpRequestSpec;
  readonly url: string;
  readonly response?: HttpExchange;
  /** The invocation the request caused, when one ran (a request no route takes causes none). */
  readonly result?: InvokeResult;
  readonly failure?: string;
}

/** How long the invocation's end may trail its HTTP answer on the runner's event stream. */
const INVOKE_END_GRACE_MS = 3000;

export async function sendRequestToRoute(ctx: Ctx, args: SendRequestArgs = {}): Promise<SentRequest | undefined> {
  const target = await chooseRoute(ctx, args, 'Send a request to which route?');
  if (!target) return undefined;
  const { folder, runner, route } = target;
  const { loadSavedRequest, saveRequest } = await import('../../runner/events/saved-requests.ts');
  const key = routeKey(route);
  const saved = await loadSavedRequest(folder.uri.fsPath, key);
  let request: HttpRequestSpec | undefined;
  try {
    request = args.request ? completeRequest(route, args.request, saved) : await askRequest(route, saved);
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
  if (!request) return undefined; // cancelled
  await saveRequest(folder.uri.fsPath, key, request).catch((err: Error) => ctx.log(err.message));
  if (route.shadowedBy) ctx.log(`${route.method} ${route.path} of ${route.function} is declared first by ${route.shadowedBy}, which takes the request.`);
  return sendAndShow(ctx, folder, runner, key, request, route.shadowedBy);
}

/** "Re-run" of a history entry caused by an HTTP request: the same request, to the gateway of today's runner. */
export async function resendEntry(ctx: Ctx, entry: HistoryEntry): Promise<SentRequest | undefined> {
  const sent = entry.request;
  if (!sent) return undefined;
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.toString() === entry.folder) ?? ctx.folderFor();
  if (!folder) {
    void vscode.window.showErrorMessage(
      `The folder ${entry.folder} of this request is no longer open; open it to send ${sent.sent.method} ${sent.sent.path} again.`,
    );
    return undefined;
  }
  try {
    return await sendAndShow(
      ctx,
      folder,
      await ctx.runnerFor(folder),
      sent.route,
      sent.sent,
      entry.functionName !== sent.route.function ? entry.functionName : undefined,
    );
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
}

/** Opens a GET route in the browser (through vscode.env.asExternalUri, so it works in code-server and remote windows). Returns the URL opened. */
export async function openRouteInBrowser(ctx: Ctx, args: RouteArgs = {}): Promise<string | undefined> {
  const target = await chooseRoute(ctx, args, 'Open which route in the browser?', (r) => r.method === 'GET' || r.method === 'ANY');
  if (!target) return undefined;
  const { folder, runner, route } = target;
  if (route.method !== 'GET' && route.method !== 'ANY') {
    void vscode.window.showInformationMessage(
      `${route.method} ${route.path} does not take GET requests, which is all a browser's address bar sends: use "Send request" instead.`,
    );
    return undefined;
  }
  const apiPort = gatewayPort(runner);
  const { loadSavedRequest } = await import('../../runner/events/saved-requests.ts');
  const saved = await loadSavedRequest(folder.uri.fsPath, routeKey(route));
  const values = await askPathParameters(route, saved);
  if (!values) return undefined;
  let url: string;
  try {
    url = requestUrl(apiPort, fillPath(route.path, values));
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
  const external = await vscode.env.asExternalUri(vscode.Uri.parse(url));
  ctx.log(`Opening ${route.method} ${route.path} in the browser: ${external.toString(true)}`);
  await vscode.env.openExternal(external);
  return external.toString(true);
}

/** The result view's model of an entry caused by an HTTP request: the request beside the response, then the invocation's error, REPORT and logs. */
export function httpEntryModel(entry: HistoryEntry): ResultModel {
  const sent = entry.request!;
  const port = Number(/^http:\/\/127\.0\.0\.1:(\d+)/.exec(sent.url)?.[1]) || undefined;
  const request = httpRequestView(sent.sent, port, sent.route);
  const eventLabel = `${sent.sent.method} ${sent.sent.path}`;
  const hint = entry.eventHint ? { eventHint: entry.eventHint } : {};
  if (!sent.response) return { functionName: entry.functionName, state: 'failed', eventLabel, ...hint, request, message: entry.failure ?? 'No response.' };
  const response = httpResponseView(sent.response);
  if (entry.result) return { ...describeResult(entry.result, { eventLabel, request, ...hint }), response };
  // No invocation ran (no route matched, a preflight the API answered, throttled): the gateway's own answer.
  return { functionName: entry.functionName, state: sent.response.status < 500 ? 'succeeded' : 'failed', eventLabel, ...hint, request, response };
}

/** `takenBy`: the function that really takes the route's requests, when another declared the same route first. */
async function sendAndShow(
  ctx: Ctx,
  folder: vscode.WorkspaceFolder,
  runner: RunnerSidecar,
  route: RouteKey,
  request: HttpRequestSpec,
  takenBy?: string,
): Promise<SentRequest> {
  const apiPort = gatewayPort(runner);
  const fnName = takenBy ?? route.function;
  const hint = takenBy
    ? `${takenBy} declares ${route.method} ${route.path} first, and the local gateway serves every API on one port: this request reaches ${takenBy}, not ${route.function}.`
    : undefined;
  const url = requestUrl(apiPort, request.path);
  const startedAt = Date.now();
  const codeRoot = (await runner.listFunctions().catch(() => undefined))?.functions.find((f) => f.name === fnName)?.codeUri;
  const label = `${request.method} ${request.path}`;
  ctx.results.show(
    { functionName: fnName, state: 'running', eventLabel: label, ...(hint ? { eventHint: hint } : {}), request: httpRequestView(request, apiPort, route) },
    codeRoot,
  );
  ctx.log(`— Sending ${request.method} ${url} (${route.method} ${route.path} → ${fnName})`);

  // The invocation the request causes, followed on the event stream as invoke.ts follows its own.
  let requestId: string | undefined;
  let result: InvokeResult | undefined;
  let ended: () => void = () => undefined;
  const end = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const follow = runner.onEvent((e) => {
    if (e.type === 'invoke-start' && e.function === fnName && requestId === undefined) {
      requestId = e.requestId;
      ctx.results.setRequestId(fnName, e.requestId);
    } else if (e.type === 'invoke-end' && e.result.function === fnName && (requestId === undefined || e.result.requestId === requestId)) {
      result ??= e.result;
      ended();
    }
  });
  const base = {
    functionName: fnName,
    folder: folder.uri.toString(),
    startedAt,
    debug: false,
    payload: JSON.stringify({ method: request.method, url, headers: request.headers, body: request.body }),
    eventLabel: label,
    ...(codeRoot ? { codeRoot } : {}),
    ...(hint ? { eventHint: hint } : {}),
  };
  let entry: HistoryEntry;
  try {
    const undici = await loadUndici();
    const response = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `$(sync~spin) ${label}` }, () =>
      sendHttpRequest(undici, apiPort, request),
    );
    // The gateway names its request id only when a route took the request, i.e. when a function was invoked.
    const invoked = response.headers.some(([k]) => k === 'apigw-requestid' || k === 'x-amzn-requestid');
    if (invoked && !result) await Promise.race([end, new Promise((r) => setTimeout(r, INVOKE_END_GRACE_MS))]);
    entry = {
      ...base,
      id: result?.requestId ?? `${startedAt}-${Math.random().toString(36).slice(2, 8)}`,
      ...(result ? { result } : {}),
      request: { route, sent: request, url, response },
    };
    ctx.log(`${label} → ${response.status} (${response.durationMs.toFixed(1)} ms)`);
  } catch (err) {
    const failure = `Could not send ${label} to the local gateway at ${url}: ${(err as Error).message}. The runner restarts on its own if it stopped; try again, or see the "Open Runtime" output.`;
    entry = { ...base, id: `${startedAt}-${Math.random().toString(36).slice(2, 8)}`, failure, request: { route, sent: request, url } };
    ctx.log(failure);
    void vscode.window.showErrorMessage(failure, 'Show Output').then((c) => {
      if (c) ctx.showOutput();
    });
  } finally {
    follow.dispose();
  }
  ctx.history.add(entry);
  ctx.results.show(httpEntryModel(entry), codeRoot, entry.id);
  return {
    entryId: entry.id,
    request,
    url,
    ...(entry.request?.response ? { response: entry.request.response } : {}),
    ...(entry.result ? { result: entry.result } : {}),
    ...(entry.failure ? { failure: entry.failure } : {}),
  };
}

export function gatewayPort(runner: RunnerSidecar): number {
  const state = runner.state;
  if (state.kind !== 'ready' || !state.apiPort) {
    throw new RunnerError(
      'Runner.NoGateway',
      'The runner does not serve the HTTP routes (it predates the gateway?): run npm run build, then "Open Runtime: Restart Runner".',
    );
  }
  return state.apiPort;
}

function routeKey(route: GatewayRoute | RouteKey): RouteKey {
  return { function: route.function, method: route.method, path: route.path };
}

/** The route a command is about: the one given (checked against the runner's table), or picked from it. */
export async function chooseRoute(
  ctx: Ctx,
  args: RouteArgs,
  title: string,
  offered: (r: GatewayRoute) => boolean = () => true,
): Promise<{ folder: vscode.WorkspaceFolder; runner: RunnerSidecar; route: GatewayRoute } | undefined> {
  const folder = (args.folder && vscode.workspace.workspaceFolders?.find((f) => f.uri.toString() === args.folder)) || ctx.folderFor();
  if (!folder) {
    void vscode.window.showErrorMessage('Open Runtime needs a workspace folder: open the folder that holds your template.yaml, then try again.');
    return undefined;
  }
  let runner: RunnerSidecar;
  let routes: GatewayRoute[];
  try {
    runner = await ctx.runnerFor(folder);
    ({ routes } = await runner.listRoutes());
    gatewayPort(runner);
  } catch (err) {
    ctx.log(`Routes of ${folder.name}: ${(err as Error).message}`);
    void vscode.window.showErrorMessage((err as Error).message, 'Show Output').then((c) => {
      if (c) ctx.showOutput();
    });
    return undefined;
  }
  if (args.route) {
    const wanted = args.route;
    const route = routes.find((r) => r.function === wanted.function && r.method === wanted.method && r.path === wanted.path);
    if (!route) {
      void vscode.window.showErrorMessage(
        `${wanted.method} ${wanted.path} (${wanted.function}) is no longer a route of ${folder.name}: the template changed. Pick it again in the Routes view.`,
      );
      return undefined;
    }
    return { folder, runner, route };
  }
  const candidates = routes.filter(offered);
  if (!candidates.length) {
    void vscode.window.showInformationMessage(
      `${folder.name} declares no HTTP routes${routes.length ? ' that take GET' : ''}: add an Api or HttpApi event, or a FunctionUrlConfig, to a function in template.yaml.`,
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((route) => ({ label: `${route.method} ${route.path}`, description: route.function, detail: `${route.kindLabel} · ${route.url}`, route })),
    { title, matchOnDescription: true },
  );
  return picked ? { folder, runner, route: picked.route } : undefined;
}

/** A request given by a caller, completed from the saved one and the route; invalid fields are an error. */
function completeRequest(route: GatewayRoute, given: Partial<HttpRequestSpec>, saved: HttpRequestSpec | undefined): HttpRequestSpec {
  const method = (given.method ?? saved?.method ?? methodChoices(route.method)[0]!).toUpperCase();
  const pathParameters = { ...saved?.pathParameters, ...given.pathParameters };
  const path = given.path ?? (given.pathParameters ? undefined : saved?.path) ?? fillPath(route.path, pathParameters);
  requestUrl(1, path); // the same check as at sending time, before anything is saved
  return { method, path, pathParameters, headers: given.headers ?? saved?.headers ?? {}, body: given.body ?? saved?.body ?? '' };
}

async function askPathParameters(route: GatewayRoute, saved: HttpRequestSpec | undefined): Promise<Record<string, string> | undefined> {
  const values: Record<string, string> = {};
  const previous = { ...(saved ? parametersOf(route.path, saved.path) : {}), ...saved?.pathParameters };
  for (const param of pathParameters(route.path)) {
    const value = await vscode.window.showInputBox({
      title: `${route.method} ${route.path}: {${param.name}${param.greedy ? '+' : ''}}`,
      prompt: param.greedy ? `Value of {${param.name}+} (it may hold "/": a/b/c)` : `Value of {${param.name}}`,
      value: previous[param.name] ?? '',
      ignoreFocusOut: true,
      validateInput: (v) =>
        v === ''
          ? `{${param.name}} needs a value.`
          : param.greedy
            ? undefined
            : v.includes('/')
              ? `{${param.name}} is one path segment: no "/" (only a {name+} parameter takes several).`
              : undefined,
    });
    if (value === undefined) return undefined;
    values[param.name] = value;
  }
  return values;
}

/** The prompts: method, path parameters, path (with its query string), headers, body; each prefilled with what was sent last. */
async function askRequest(route: GatewayRoute, saved: HttpRequestSpec | undefined): Promise<HttpRequestSpec | undefined> {
  const title = `Send request: ${route.method} ${route.path} → ${route.function}`;
  const methods = methodChoices(route.method);
  const preset = saved && methods.includes(saved.method) ? saved.method : methods[0]!;
  const picked = await vscode.window.showQuickPick(
    [preset, ...methods.filter((m) => m !== preset)].map((m) => ({
      label: m,
      description: m === route.method || (route.method === 'ANY' && m === preset) ? "the route's method" : undefined,
    })),
    {
      title,
      placeHolder: 'Method',
      ignoreFocusOut: true,
    },
  );
  if (!picked) return undefined;
  const method = picked.label;
  const pathParameters = await askPathParameters(route, saved);
  if (!pathParameters) return undefined;
  const query = saved?.path.includes('?') ? saved.path.slice(saved.path.indexOf('?')) : '';
  const suggested = route.path === '$default' ? (saved?.path ?? '/') : `${fillPath(route.path, pathParameters)}${query}`;
  const path = await vscode.window.showInputBox({
    title,
    prompt:
      route.path === '$default'
        ? 'Path (any path reaches the $default route), with a query string if you like'
        : 'Path, with a query string if you like (?name=Ada)',
    value: suggested,
    ignoreFocusOut: true,
    validateInput: (v) => (!v.startsWith('/') || v.startsWith('//') ? 'The path starts with a single "/" (it goes to the local gateway).' : undefined),
  });
  if (path === undefined) return undefined;
  const headerValue = await vscode.window.showInputBox({
    title,
    prompt: 'Headers: name: value, several separated by ;; (or a JSON object). Empty: none.',
    value: headerText(saved?.headers ?? (takesBody(method) ? { 'content-type': 'application/json' } : {})),
    placeHolder: 'accept: application/json;; x-api-key: secret',
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        parseHeaderText(v);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
  if (headerValue === undefined) return undefined;
  let body = '';
  if (takesBody(method)) {
    const typed = await vscode.window.showInputBox({
      title,
      prompt: 'Body (sent as typed: JSON, text, a form...)',
      value: saved?.body ?? '{}',
      ignoreFocusOut: true,
    });
    if (typed === undefined) return undefined;
    body = typed;
  }
  return { method, path, pathParameters, headers: parseHeaderText(headerValue), body };
}
