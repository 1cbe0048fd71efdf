// The project's Application Load Balancer listeners, served locally: each listener (a template's
// AWS::ElasticLoadBalancingV2::Listener, or the listenerArn of serverless.yml `alb` events) on a port of its own on
// 127.0.0.1, since a listener has no base path and its rules (`/*`, `/api/*`) would clash with the API routes on the
// gateway's port. The ports are printed with the route table and reported by the control API's /status. Like the
// API gateway (server.ts) it is an ordinary client of LocalLambda.invoke, and it follows the functions when the
// runner reloads them: a listener that appears gets a port, one that goes away is closed, the others keep theirs.
// Rules that redirect or answer with a fixed response (no function) come from the project's albActions, passed in as
// `listenerActions`. What a listener does with a request is policy in alb-routing.ts; here are only its state (each
// weighted forward's turn) and the local identity behind authenticate-oidc / -cognito rules (OPEN_RUNTIME_ALB_IDENTITY).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError, readBody, splitTarget } from '../http-util.ts';
import { FunctionNotFoundError, TooManyRequestsError, type LocalLambda } from '../local-lambda.ts';
import { isLoopbackHost } from '../request-guard.ts';
import { withEdgeHeaders } from './events.ts';
import type { AlbActionRule, AlbRule } from '../functions/model.ts';
import {
  actionAnswer,
  albAnswer,
  albError,
  albEvent,
  listenerOrder,
  matchAlbRule,
  noRuleAnswer,
  oidcHeaders,
  pickByWeight,
  type AlbAnswer,
  type LocalIdentity,
  type AlbRequest,
  type AlbTarget,
} from './alb-routing.ts';

/** ALB's limit on a request body sent to a Lambda target. */
const MAX_REQUEST_BYTES = 1024 * 1024;

interface Listener {
  server: Server;
  port: number;
  targets: AlbTarget[];
  /** Each weighted forward's running scores (by priority), for pickByWeight. */
  rotation: Map<number, number[]>;
}

export class LoadBalancers {
  private readonly listeners = new Map<string, Listener>();
  private readonly lambda: LocalLambda;
  private readonly log: ((line: string) => void) | undefined;
  private readonly listenerActions: () => readonly AlbActionRule[];
  /** The user to act as behind authenticate-oidc / -cognito rules (OPEN_RUNTIME_ALB_IDENTITY); absent: no x-amzn-oidc-* headers. */
  private readonly identity: LocalIdentity | undefined;
  private readonly unsubscribe: () => void;
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    lambda: LocalLambda,
    opts: { log?: (line: string) => void; listenerActions?: () => readonly AlbActionRule[]; identity?: LocalIdentity | undefined } = {},
  ) {
    this.lambda = lambda;
    this.log = opts.log;
    this.identity = opts.identity;
    this.listenerActions = opts.listenerActions ?? (() => []);
    this.unsubscribe = lambda.subscribe(
      (event) => {
        if (event.type === 'functions-changed')
          void this.sync().catch((error: Error) => this.log?.(`could not serve the load balancer listeners: ${error.message}`));
      },
      ['functions-changed'],
    );
  }

  /** Starts a server for every listener the functions name, closes those no function names any more. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncNow());
    return this.syncing;
  }

  private async syncNow(): Promise<void> {
    const wanted = new Map<string, AlbTarget[]>();
    for (const fn of this.lambda.listFunctions()) {
      for (const rule of fn.albRules ?? []) {
        const list = wanted.get(rule.listener) ?? [];
        list.push({ function: fn.name, rule });
        wanted.set(rule.listener, list);
      }
    }
    for (const rule of this.listenerActions()) {
      const list = wanted.get(rule.listener) ?? [];
      list.push({ rule });
      wanted.set(rule.listener, list);
    }
    for (const [name, listener] of this.listeners) {
      if (wanted.has(name)) continue;
      this.listeners.delete(name);
      listener.server.closeAllConnections();
      listener.server.close();
    }
    for (const [name, targets] of wanted) {
      const existing = this.listeners.get(name);
      if (existing) {
        existing.targets = listenerOrder(targets);
        existing.rotation.clear();
        continue;
      }
      const listener: Listener = {
        server: createServer({ keepAlive: true, noDelay: true }),
        port: 0,
        targets: listenerOrder(targets),
        rotation: new Map(),
      };
      listener.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        try {
          this.handle(listener, req, res);
        } catch {
          res.destroy(); // a bug of our own costs this request, not the runner
        }
      });
      await new Promise<void>((resolve, reject) => {
        listener.server.once('error', reject);
        listener.server.listen(0, '127.0.0.1', () => resolve());
      });
      listener.port = (listener.server.address() as AddressInfo).port;
      this.listeners.set(name, listener);
    }
  }

  /** Each listener with its port and rules, in rule order. */
  describe(): { listener: string; port: number; targets: readonly AlbTarget[] }[] {
    return [...this.listeners].map(([listener, l]) => ({ listener, port: l.port, targets: l.targets }));
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.syncing.catch(() => undefined);
    await Promise.all(
      [...this.listeners.values()].map((l) => {
        l.server.closeAllConnections();
        return new Promise<void>((resolve) => l.server.close(() => resolve()));
      }),
    );
    this.listeners.clear();
  }

  private handle(listener: Listener, req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const { path } = splitTarget(req.url);
    const finish = (answer: AlbAnswer, target: string) => {
      try {
        send(res, answer);
      } catch {
        res.destroy();
      }
      this.log?.(
        `${method} :${listener.port}${path} -> ${target} ${answer.status} (${(performance.now() - started).toFixed(1)} ms)${answer.problem ? `: ${answer.problem}` : ''}`,
      );
    };
    if (req.headers.host !== undefined && !isLoopbackHost(req.headers.host)) {
      req.resume();
      return finish(
        albError(
          403,
          `refused: it was addressed to "${req.headers.host.slice(0, 100)}", not 127.0.0.1, localhost or [::1] (what a web page using DNS rebinding sends).`,
        ),
        '(refused)',
      );
    }
    readBody(req, MAX_REQUEST_BYTES).then(
      (body) => {
        const sourceIp = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
        const rawQuery = req.url && req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
        const request: AlbRequest = { method, path, rawQuery, rawHeaders: withEdgeHeaders(req.rawHeaders, sourceIp, listener.port), body, sourceIp };
        const matched = matchAlbRule(listener.targets, request);
        if (!matched) return finish(noRuleAnswer(), '(no rule)');
        if (matched.function === undefined)
          return finish(actionAnswer(matched.rule.action, request, listener.port), `(${matched.rule.action.type} ${matched.rule.id})`);
        const target = matched.rule.weight === undefined ? matched : this.byWeight(listener, matched);
        const login = target.rule.authenticate && this.identity ? oidcHeaders(this.identity, target.rule.authenticate, target.rule.listener) : [];
        // With a local identity, its headers replace any the client sent, as ALB's own do.
        if (login.length) request.rawHeaders = [...request.rawHeaders.filter((_, i, all) => !/^x-amzn-oidc-/i.test(all[i - (i % 2)]!)), ...login.flat()];
        this.invoke(target.function, target.rule, request, (answer) => finish(answer, target.function));
      },
      (error) => {
        if (error instanceof BodyTooLargeError)
          finish(albError(413, `the request body is over ${MAX_REQUEST_BYTES} bytes, ALB's limit for a Lambda target.`), '(refused)');
        else res.destroy();
      },
    );
  }

  /** The target group of a weighted forward that takes this request: the rule's targets share its priority. */
  private byWeight(listener: Listener, matched: Extract<AlbTarget, { function: string }>): Extract<AlbTarget, { function: string }> {
    const group = listener.targets.filter(
      (t): t is Extract<AlbTarget, { function: string }> => t.function !== undefined && t.rule.priority === matched.rule.priority,
    );
    let state = listener.rotation.get(matched.rule.priority);
    if (!state) listener.rotation.set(matched.rule.priority, (state = []));
    return (
      group[
        pickByWeight(
          group.map((t) => t.rule.weight ?? 0),
          state,
        )
      ] ?? matched
    );
  }

  private invoke(fn: string, rule: AlbRule, request: AlbRequest, answer: (a: AlbAnswer) => void): void {
    let inv;
    try {
      inv = this.lambda.invoke(fn, Buffer.from(JSON.stringify(albEvent(request, rule))));
    } catch (error) {
      if (error instanceof TooManyRequestsError)
        return answer(albError(503, `${fn} is at its concurrency limit (${error.message}); Lambda throttled the request.`));
      if (error instanceof FunctionNotFoundError) return answer(albError(502, error.message));
      return answer(albError(502, `the runner could not start ${fn}: ${(error as Error).message}`));
    }
    void inv.settled.then((outcome) => answer(albAnswer(outcome, rule, fn)));
  }
}

function send(res: ServerResponse, answer: AlbAnswer): void {
  if (res.headersSent || res.destroyed) return;
  const headers: [string, string][] = [...answer.headers, ['content-length', String(answer.body.length)]];
  // A reason phrase the function chose, when it is one HTTP can carry.
  const reason = answer.statusText && /^[\t\x20-\x7e]*$/.test(answer.statusText) ? answer.statusText : undefined;
  if (reason) res.writeHead(answer.status, reason, headers.flat());
  else res.writeHead(answer.status, headers.flat());
  res.end(answer.body);
}

/** The listeners as printed when the runner starts: one line per listener, then its rules in order. */
export function describeListeners(listeners: ReturnType<LoadBalancers['describe']>): string {
  return listeners
    .map(({ listener, port, targets }) => {
      const rules = targets.map((target) => {
        const rule = target.rule;
        const when = rule.conditions
          .map(
            (c) =>
              `${c.field} ${c.field === 'query-string' ? (c.pairs ?? []).map((p) => `${p.key ?? '*'}=${p.value}`).join('|') : `${c.headerName ? `${c.headerName}: ` : ''}${c.values.join('|')}`}`,
          )
          .join(' and ');
        const to =
          target.function === undefined
            ? describeAction(target.rule)
            : `${target.function}${target.rule.weight !== undefined ? ` (weight ${target.rule.weight})` : ''}${target.rule.multiValueHeaders ? ' (multi-value headers)' : ''}`;
        const login = rule.authenticate ? `  (${rule.authenticate.type} NOT CHECKED: served without logging in)` : '';
        return `  ${rule.priority === 50001 ? 'default' : `#${rule.priority}`}  ${when || '(any request)'} -> ${to}${login}`;
      });
      return `ALB listener ${listener} on http://127.0.0.1:${port}\n${rules.join('\n')}`;
    })
    .join('\n');
}

/** A redirect or fixed-response rule as the route table shows it. */
export function describeAction(rule: AlbActionRule): string {
  const a = rule.action;
  if (a.type === 'fixed-response') return `fixed-response ${a.status}${a.contentType ? ` ${a.contentType}` : ''} (${rule.id})`;
  return `redirect ${a.statusCode} to ${a.protocol}://${a.host}:${a.port}${a.path}${a.query ? `?${a.query}` : ''} (${rule.id})`;
}
