// Application Load Balancer listener rules that forward to a function, as AlbRules on the Function model: the
// pieces shared by CloudFormation's AWS::ElasticLoadBalancingV2::ListenerRule / Listener (read in api-resources.ts)
// and serverless.yml `alb` events (read here). runner/gateway/alb.ts serves them.
//   CloudFormation  Conditions: [{ Field, Values }] or the *Config forms (PathPatternConfig, HostHeaderConfig,
//                   HttpRequestMethodConfig, QueryStringConfig { Values: [{ Key, Value }] }, HttpHeaderConfig
//                   { HttpHeaderName, Values }, SourceIpConfig).
//   serverless.yml  alb: { listenerArn, priority, conditions: { path, method, host, header: { name, values },
//                   query: { key: value }, ip }, multiValueHeaders }.
// A rule or default action that redirects or answers with a fixed response has no target: it is an AlbActionRule,
// served by the listener itself (listenerAction below). A forward may share requests among several target groups by
// Weight (forwardTargets); an authenticate-oidc / -cognito action before it is read (authenticateAction) so the rule
// is served without it, said at start and in the listener's table.
import { createHash } from 'node:crypto';
import type { AlbAction, AlbAuthenticate, AlbCondition, AlbRule } from './model.ts';
import { asRecord, describeValue, intrinsicOf } from './intrinsics.ts';

/** The condition fields, and where the *Config form keeps each one's values. */
const CONFIG_OF: Record<AlbCondition['field'], string> = {
  'path-pattern': 'PathPatternConfig',
  'host-header': 'HostHeaderConfig',
  'http-request-method': 'HttpRequestMethodConfig',
  'query-string': 'QueryStringConfig',
  'http-header': 'HttpHeaderConfig',
  'source-ip': 'SourceIpConfig',
};

/** A CloudFormation rule's resolved Conditions, or why they can't be served. */
export function cfnAlbConditions(value: unknown): AlbCondition[] | string {
  const conditions: AlbCondition[] = [];
  for (const raw of Array.isArray(value) ? value : []) {
    const c = asRecord(raw);
    const field = String(c.Field ?? '') as AlbCondition['field'];
    if (!(field in CONFIG_OF)) return `its condition Field "${describeValue(c.Field)}" is none of ${Object.keys(CONFIG_OF).join(', ')}.`;
    const config = asRecord(c[CONFIG_OF[field]]);
    if (field === 'query-string') {
      const pairs = (Array.isArray(config.Values) ? config.Values : [])
        .map((p) => asRecord(p))
        .map((p) => ({ ...(typeof p.Key === 'string' ? { key: p.Key } : {}), value: String(p.Value ?? '') }));
      conditions.push({ field, values: [], pairs });
    } else if (field === 'http-header') {
      conditions.push({ field, values: strings(config.Values), headerName: String(config.HttpHeaderName ?? '') });
    } else {
      conditions.push({ field, values: strings(config.Values ?? c.Values) });
    }
  }
  return conditions;
}

/** A rule's actions in the order ALB runs them (by Order). */
function ordered(actions: unknown): Record<string, unknown>[] {
  return (Array.isArray(actions) ? actions : []).map((a) => asRecord(a)).sort((a, b) => Number(a.Order ?? 0) - Number(b.Order ?? 0));
}

/**
 * The target groups a rule's forward action sends to, each with its Weight (`TargetGroupArn`: one group, weight 1;
 * `ForwardConfig.TargetGroups`: each `Weight`, 1 when absent), and whether it asks for stickiness; or the first action
 * that is neither forward nor authenticate (`other`).
 */
export function forwardTargets(actions: unknown): { groups: { targetGroup: unknown; weight: number }[]; sticky: boolean } | { other: string } | undefined {
  const list = ordered(actions);
  const forward = list.find((a) => a.Type === 'forward');
  if (forward) {
    const config = asRecord(forward.ForwardConfig);
    const sticky = asRecord(config.TargetGroupStickinessConfig).Enabled === true || asRecord(config.TargetGroupStickinessConfig).Enabled === 'true';
    if (forward.TargetGroupArn !== undefined) return { groups: [{ targetGroup: forward.TargetGroupArn, weight: 1 }], sticky };
    const groups = (Array.isArray(config.TargetGroups) ? config.TargetGroups : []).map((g) => {
      const group = asRecord(g);
      const weight = Number(group.Weight ?? 1);
      return { targetGroup: group.TargetGroupArn, weight: Number.isInteger(weight) && weight >= 0 && weight <= 999 ? weight : Number.NaN };
    });
    return { groups, sticky };
  }
  const other = list.map((a) => a.Type).find((t): t is string => typeof t === 'string' && !t.startsWith('authenticate-'));
  return other ? { other } : undefined;
}

/** A rule's authenticate-oidc / authenticate-cognito action (AuthenticateOidcConfig / AuthenticateCognitoConfig), if any. */
export function authenticateAction(actions: unknown): AlbAuthenticate | undefined {
  const action = ordered(actions).find((a) => a.Type === 'authenticate-oidc' || a.Type === 'authenticate-cognito');
  if (!action) return undefined;
  if (action.Type === 'authenticate-oidc') {
    const config = asRecord(action.AuthenticateOidcConfig);
    return {
      type: 'authenticate-oidc',
      ...(typeof config.Issuer === 'string' ? { issuer: config.Issuer } : {}),
      ...(typeof config.ClientId === 'string' ? { clientId: config.ClientId } : {}),
    };
  }
  const config = asRecord(action.AuthenticateCognitoConfig);
  const pool = /^arn:aws[\w-]*:cognito-idp:([a-z0-9-]+):\d*:userpool\/([\w-]+)$/.exec(typeof config.UserPoolArn === 'string' ? config.UserPoolArn : '');
  return {
    type: 'authenticate-cognito',
    ...(pool ? { issuer: `https://cognito-idp.${pool[1]}.amazonaws.com/${pool[2]}` } : {}),
    ...(typeof config.UserPoolClientId === 'string' ? { clientId: config.UserPoolClientId } : {}),
  };
}

/**
 * A rule's terminal redirect or fixed-response action (RedirectConfig / FixedResponseConfig, as CloudFormation
 * declares them), or why it can't be served. Undefined when the actions end in neither.
 */
export function listenerAction(actions: unknown): AlbAction | { problem: string } | undefined {
  const last = ordered(actions).at(-1);
  if (last?.Type === 'fixed-response') {
    const config = asRecord(last.FixedResponseConfig);
    const status = Number(config.StatusCode);
    if (!/^[245]\d\d$/.test(String(config.StatusCode ?? '')) || !Number.isInteger(status))
      return { problem: `its FixedResponseConfig.StatusCode "${describeValue(config.StatusCode)}" is not a 2XX, 4XX or 5XX code.` };
    const body = typeof config.MessageBody === 'string' ? config.MessageBody : '';
    if (Buffer.byteLength(body) > 1024) return { problem: "its FixedResponseConfig.MessageBody is over 1024 bytes, ALB's limit." };
    return { type: 'fixed-response', status, ...(typeof config.ContentType === 'string' ? { contentType: config.ContentType } : {}), body };
  }
  if (last?.Type === 'redirect') {
    const config = asRecord(last.RedirectConfig);
    const code = String(config.StatusCode ?? '');
    if (code !== 'HTTP_301' && code !== 'HTTP_302')
      return { problem: `its RedirectConfig.StatusCode "${describeValue(config.StatusCode)}" is neither HTTP_301 nor HTTP_302.` };
    const part = (value: unknown, fallback: string) => (typeof value === 'string' || typeof value === 'number' ? String(value) : fallback);
    const protocol = part(config.Protocol, '#{protocol}');
    const upper = protocol.toUpperCase();
    if (upper !== 'HTTP' && upper !== 'HTTPS' && protocol !== '#{protocol}')
      return { problem: `its RedirectConfig.Protocol "${protocol}" is none of HTTP, HTTPS, #{protocol}.` };
    const port = part(config.Port, '#{port}');
    if (port !== '#{port}' && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
      return { problem: `its RedirectConfig.Port "${port}" is neither 1 to 65535 nor #{port}.` };
    const path = part(config.Path, '/#{path}');
    if (!path.startsWith('/')) return { problem: `its RedirectConfig.Path "${path}" does not start with "/".` };
    const host = part(config.Host, '#{host}');
    const query = part(config.Query, '#{query}');
    if (query.startsWith('?')) return { problem: 'its RedirectConfig.Query starts with "?"; ALB adds the "?" itself.' };
    if (protocol === '#{protocol}' && host === '#{host}' && port === '#{port}' && path === '/#{path}' && query === '#{query}')
      return { problem: 'its RedirectConfig changes nothing (a redirect to the same URL, which ALB refuses); set Protocol, Host, Port, Path or Query.' };
    return {
      type: 'redirect',
      protocol: upper === 'HTTP' || upper === 'HTTPS' ? upper : protocol,
      host,
      port,
      path,
      query,
      statusCode: code === 'HTTP_301' ? 301 : 302,
    };
  }
  return undefined;
}

/** A local target group ARN, stable per name, shaped like AWS's. */
export function targetGroupArn(name: string, region: string, account: string): string {
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${name.slice(0, 32)}/${hash}`;
}

/** The ALB rules of one serverless.yml function, from its resolved `events` list. */
export function serverlessAlbRules(name: string, eventList: unknown, region: string, account: string): AlbRule[] | undefined {
  const rules: AlbRule[] = [];
  for (const item of Array.isArray(eventList) ? eventList : []) {
    const alb = asRecord(asRecord(item).alb);
    if (!Object.keys(alb).length) continue;
    const ref = intrinsicOf(alb.listenerArn);
    const listener = ref?.name === 'Ref' && typeof ref.arg === 'string' ? ref.arg : describeValue(alb.listenerArn) || 'listener';
    const priority = Number(alb.priority);
    const c = asRecord(alb.conditions);
    const conditions: AlbCondition[] = [];
    if (c.path !== undefined) conditions.push({ field: 'path-pattern', values: strings(c.path) });
    if (c.method !== undefined) conditions.push({ field: 'http-request-method', values: strings(c.method).map((m) => m.toUpperCase()) });
    if (c.host !== undefined) conditions.push({ field: 'host-header', values: strings(c.host) });
    if (c.ip !== undefined) conditions.push({ field: 'source-ip', values: strings(c.ip) });
    if (c.header !== undefined) {
      const header = asRecord(c.header);
      conditions.push({ field: 'http-header', headerName: String(header.name ?? ''), values: strings(header.values) });
    }
    if (c.query !== undefined) {
      conditions.push({ field: 'query-string', values: [], pairs: Object.entries(asRecord(c.query)).map(([key, value]) => ({ key, value: String(value) })) });
    }
    rules.push({
      listener,
      priority: Number.isInteger(priority) && priority >= 1 && priority <= 50000 ? priority : 50000,
      conditions,
      targetGroupArn: targetGroupArn(typeof alb.targetGroupName === 'string' ? alb.targetGroupName : `${name}-${priority}`, region, account),
      multiValueHeaders: alb.multiValueHeaders === true,
    });
  }
  return rules.length ? rules : undefined;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v) => typeof v === 'string' || typeof v === 'number').map(String) : [];
}
