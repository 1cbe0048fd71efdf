// The "Routes" view in the Open Runtime container: the HTTP routes the runner's gateway serves (method and path, the
// function as description, the local URL and API kind as tooltip), grouped by API, with "Send request" and, for GET
// routes, "Open in browser", "Debug Route" (debug-route.ts: the route's requests stop at breakpoints; the row says
// so while it lasts). The table is the runner's own (GET /routes), so the view shows what `curl` would reach;
// it is asked again whenever the runner reloads its functions, and a template edit makes live runners reload.
// WebSocket APIs are groups too: a row per route key ($connect, $default, custom) with its function, the ws:// URL
// and the $connect authorizer; "Copy URL" puts a row's URL (ws:// or http://) on the clipboard.
import * as vscode from 'vscode';
import type { GatewayRoute, WebSocketRouteRow } from '../../runner/protocol.ts';
import type { Ctx } from '../ctx.ts';
import { DEFINITION_GLOB } from '../workspace-functions.ts';
import { RouteDebugging } from './debug-route.ts';

export const ROUTES_VIEW_ID = 'openRuntime.routes';

export interface RouteNode {
  readonly kind: 'route';
  /** The workspace folder's URI: "Send request" sends to that folder's runner. */
  readonly folder: string;
  readonly route: GatewayRoute;
}
interface WebSocketNode {
  readonly kind: 'ws';
  readonly folder: string;
  readonly route: WebSocketRouteRow;
}
interface ApiNode {
  readonly kind: 'api';
  readonly key: string;
  readonly label: string;
  readonly description: string;
  readonly routes: (RouteNode | WebSocketNode)[];
}
interface MessageNode {
  readonly kind: 'message';
  readonly label: string;
  readonly tooltip: string;
}
type Node = RouteNode | WebSocketNode | ApiNode | MessageNode;

/** Rows as a test or another extension reads them: what each shows and offers. */
export interface RouteRow {
  group: string;
  label: string;
  description: string;
  tooltip: string;
  contextValue: string;
  /** What "Copy URL" copies: `http://...` or `ws://...`. */
  url: string;
}

export class RoutesView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly ctx: Ctx;
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  private readonly disposables: vscode.Disposable[] = [];
  readonly onDidChangeTreeData = this.changed.event;
  /** Which functions are armed for a debugger; attaches to them when a request reaches them. */
  private readonly debugging: RouteDebugging;

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    this.debugging = new RouteDebugging(ctx, () => this.refresh());
    // The sidecar does not watch templates itself: a template edit makes each live runner reload, and the reload's
    // `functions-changed` event (like any other reload: New Function, an invoke of a new function) redraws the view.
    const watcher = vscode.workspace.createFileSystemWatcher(DEFINITION_GLOB);
    const reload = () => {
      for (const { runner } of ctx.liveRunners) {
        if (runner.state.kind === 'ready') void runner.reloadFunctions().catch((err: Error) => ctx.log(`Could not reload the functions: ${err.message}`));
      }
    };
    this.disposables.push(
      this.changed,
      this.debugging,
      watcher,
      watcher.onDidChange(reload),
      watcher.onDidCreate(reload),
      watcher.onDidDelete(reload),
      ctx.onRunnerEvent(({ event }) => {
        if (event.type === 'functions-changed') this.refresh();
      }),
    );
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node) return node.kind === 'api' ? node.routes : [];
    const folders = vscode.workspace.workspaceFolders ?? [];
    const groups: Node[] = [];
    for (const folder of folders) {
      let routes: GatewayRoute[];
      let webSockets: WebSocketRouteRow[];
      try {
        // Showing the view counts as using the extension: the folder's runner starts if it has not yet.
        ({ routes, webSockets = [] } = await (await this.ctx.runnerFor(folder)).listRoutes());
      } catch (err) {
        groups.push({ kind: 'message', label: `${folder.name}: the routes could not be read`, tooltip: (err as Error).message });
        continue;
      }
      const byApi = new Map<string, ApiNode>();
      for (const route of routes) {
        const key = route.kind === 'url' ? 'url' : `${route.kind}:${route.api}`;
        let group = byApi.get(key);
        if (!group) {
          const prefix = folders.length > 1 ? `${folder.name}: ` : '';
          group =
            route.kind === 'url'
              ? { kind: 'api', key: `${folder.uri}|${key}`, label: `${prefix}Function URLs`, description: 'payload 2.0', routes: [] }
              : { kind: 'api', key: `${folder.uri}|${key}`, label: `${prefix}${route.api}`, description: route.kindLabel, routes: [] };
          byApi.set(key, group);
        }
        group.routes.push({ kind: 'route', folder: folder.uri.toString(), route });
      }
      for (const route of webSockets) {
        const key = `ws:${route.api}`;
        let group = byApi.get(key);
        if (!group) {
          const prefix = folders.length > 1 ? `${folder.name}: ` : '';
          group = { kind: 'api', key: `${folder.uri}|${key}`, label: `${prefix}${route.api}`, description: `WebSocket API (${route.stage})`, routes: [] };
          byApi.set(key, group);
        }
        group.routes.push({ kind: 'ws', folder: folder.uri.toString(), route });
      }
      groups.push(...byApi.values());
    }
    return groups;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.tooltip = node.tooltip;
      item.iconPath = new vscode.ThemeIcon('warning');
      return item;
    }
    if (node.kind === 'api') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = node.key;
      item.description = node.description;
      item.iconPath = new vscode.ThemeIcon(node.description.startsWith('REST') ? 'server' : node.description.startsWith('WebSocket') ? 'plug' : 'cloud');
      item.contextValue = 'openRuntime.api';
      return item;
    }
    if (node.kind === 'ws') {
      const { route } = node;
      const item = new vscode.TreeItem(route.routeKey, vscode.TreeItemCollapsibleState.None);
      item.id = `${node.folder}|ws|${route.api}|${route.routeKey}`;
      item.description = `${route.function}${route.auth ? ` · auth: ${route.auth}` : ''}`;
      const tip = new vscode.MarkdownString(undefined, true);
      tip.appendMarkdown(`**${route.routeKey}** → ${route.function}  \n`);
      tip.appendMarkdown(
        `${route.url}  \nWebSocket API ${route.api} (stage ${route.stage})${route.twoWay ? ' · two-way: the answer goes back to the client' : ''}`,
      );
      if (route.auth) tip.appendMarkdown(`  \nauth: ${route.auth}`);
      item.tooltip = tip;
      item.iconPath = new vscode.ThemeIcon(route.routeKey.startsWith('$') ? 'plug' : 'symbol-event');
      item.contextValue = 'openRuntime.wsRoute';
      item.accessibilityInformation = { label: `WebSocket route ${route.routeKey}, ${route.function}, ${route.url}` };
      return item;
    }
    const { route } = node;
    const item = new vscode.TreeItem(`${route.method} ${route.path}`, vscode.TreeItemCollapsibleState.None);
    item.id = `${node.folder}|${route.function}|${route.method}|${route.path}`;
    const debugMode = this.debugging.modeOf(node.folder, route.function);
    const debugNote = debugMode === 'every' ? ' · debugging' : debugMode === 'next' ? ' · debugging the next request' : '';
    item.description = `${route.functionPath ?? route.function}${route.shadowedBy ? ` (unreachable: ${route.shadowedBy} takes it)` : ''}${debugNote}`;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${route.method} ${route.path}** → ${route.functionPath ?? route.function}  \n`);
    tip.appendMarkdown(`${route.url}  \n${route.kindLabel}${route.auth ? ` · auth: ${route.auth}` : ''}`);
    if (route.shadowedBy)
      tip.appendMarkdown(
        `  \n$(warning) ${route.shadowedBy} declares the same route first, and the local gateway serves every API on one port: requests here reach ${route.shadowedBy}.`,
      );
    item.tooltip = tip;
    item.iconPath = new vscode.ThemeIcon(route.shadowedBy ? 'warning' : debugNote ? 'debug-alt' : 'globe');
    item.contextValue = `${takesGet(route) ? 'openRuntime.route.get' : 'openRuntime.route'}${debugNote ? '.debugging' : ''}`;
    item.command = { command: 'openRuntime.routes.sendRequest', title: 'Send request', arguments: [node] };
    item.accessibilityInformation = { label: `${route.method} ${route.path}, ${route.function}, ${route.kindLabel}` };
    return item;
  }

  /** Every row, flattened with its group (for the in-host tests and other extensions). */
  async rows(): Promise<RouteRow[]> {
    const rows: RouteRow[] = [];
    for (const group of await this.getChildren()) {
      if (group.kind !== 'api') continue;
      for (const node of await this.getChildren(group)) {
        const item = this.getTreeItem(node);
        const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? '');
        rows.push({
          group: group.label,
          label: String(item.label),
          description: String(item.description ?? ''),
          tooltip,
          contextValue: item.contextValue ?? '',
          url: node.kind === 'ws' || node.kind === 'route' ? node.route.url : '',
        });
      }
    }
    return rows;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function takesGet(route: GatewayRoute): boolean {
  return route.method === 'GET' || route.method === 'ANY';
}

/** Registers the view and its refresh action; returns the provider (the extension's API reads its rows). */
export function registerRoutesView(ctx: Ctx): RoutesView {
  const provider = new RoutesView(ctx);
  const view = vscode.window.createTreeView(ROUTES_VIEW_ID, { treeDataProvider: provider });
  ctx.push(
    provider,
    view,
    vscode.commands.registerCommand('openRuntime.routes.refresh', () => provider.refresh()),
    // The row's URL on the clipboard (and returned, for tests): ws:// for a WebSocket route, http:// for an HTTP one.
    vscode.commands.registerCommand('openRuntime.routes.copyUrl', async (node?: { route?: { url?: unknown } }) => {
      const url = node?.route?.url;
      if (typeof url !== 'string') return undefined;
      await vscode.env.clipboard.writeText(url);
      vscode.window.setStatusBarMessage(`Copied ${url}`, 3000);
      return url;
    }),
  );
  return provider;
}
