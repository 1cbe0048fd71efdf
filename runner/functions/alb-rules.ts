// Application Load Balancer listener rules that forward to a function, as AlbRules on the Function model: the
// pieces shared by CloudFormation's AWS::ElasticLoadBalancingV2::ListenerRule / Listener (read in api-resources.ts)
// and serverless.yml `alb` events (read here). runner/gateway/alb.ts serves them.
//   CloudFormation  Conditions: [{ Field, Values }] or the *Config forms (PathPatternConfig, HostHeaderConfig,
//                   HttpRequestMethodConfig, QueryStringConfig { Values: [{ Key, Value }] }, HttpHeaderConfig
//                   { HttpHeaderName, Values }, SourceIpConfig).
//   serverless.yml  alb: { listenerArn, priority, conditions: { path, method, host, header: { name, values },
//                   query: { key: value }, ip }, multiValueHeaders }.
import { createHash } from 'node:crypto';
import type { AlbCondition, AlbRule } from './model.ts';
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

/** The target group a rule's actions forward to (`TargetGroupArn`, or the first of `ForwardConfig.TargetGroups`). */
export function forwardTarget(actions: unknown): { targetGroup: unknown } | { other: string } | undefined {
  const list = (Array.isArray(actions) ? actions : []).map((a) => asRecord(a)).sort((a, b) => Number(a.Order ?? 0) - Number(b.Order ?? 0));
  const forward = list.find((a) => a.Type === 'forward');
  if (forward) {
    const groups = asRecord(forward.ForwardConfig).TargetGroups;
    return { targetGroup: forward.TargetGroupArn ?? (Array.isArray(groups) ? asRecord(groups[0]).TargetGroupArn : undefined) };
  }
  const other = list.map((a) => a.Type).find((t): t is string => typeof t === 'string');
  return other ? { other } : undefined;
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
