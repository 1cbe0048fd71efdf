// The HTTP routes a template declares outside a function's own Events: raw CloudFormation API resources
// (AWS::ApiGateway::RestApi + Resource + Method + Stage/Deployment, each Method's auth read by gateway/auth/config.ts;
// AWS::ApiGatewayV2::Api + Route + Integration + Stage and the quick-create Api with a Target, AWS::Lambda::Url, ALB
// ListenerRules / Listener default actions forwarding to TargetType lambda TargetGroups) and OpenAPI definitions (SAM
// DefinitionBody / DefinitionUri, AWS::Include, a raw API's Body / local BodyS3Location) with
// x-amazon-apigateway-integration.
// They become HttpEvents on the functions they reach, the same shape SAM events give (http-events.ts), so the
// gateway serves them all alike. Integrations are followed to a function through the intrinsics resolver (the Uri's
// `.../functions/<function ARN>/invocations`, a Route's `integrations/<id>` Target); one that leads nowhere local is a
// line in `skipped` saying why. A method whose integration is not a Lambda proxy (mock, http, an AWS service) is
// skipped too, and carries its route so the gateway can answer it with a 501 naming what is not emulated.
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import type { DefinitionError } from '../protocol.ts';
import type { AlbActionRule, AlbRule, FunctionSpec, HttpCors, HttpEvent } from './model.ts';
import { authenticateAction, cfnAlbConditions, forwardTargets, listenerAction, targetGroupArn } from './alb-rules.ts';
import { cfnMethodAuth, templateApiKeys } from '../gateway/auth/config.ts';
import { asRecord, describeValue, intrinsicOf, Unresolved } from './intrinsics.ts';
import { CAMEL_OPENAPI, functionUrl, listCors, ALLOW_ALL, PASCAL } from './http-events.ts';
import { parseYaml } from './read-yaml.ts';

type Resolve = (value: unknown) => unknown;

export interface TemplateSource {
  template: Record<string, unknown>;
  file: string;
  /** The line of a resource (by logical id) in the template, for skipped lines. */
  lineOf: (id: string) => number;
  resolve: Resolve;
}

/** OpenAPI's operation keys and API Gateway's method for each. */
const OPERATIONS: Record<string, string> = {
  get: 'GET',
  put: 'PUT',
  post: 'POST',
  delete: 'DELETE',
  options: 'OPTIONS',
  head: 'HEAD',
  patch: 'PATCH',
  'x-amazon-apigateway-any-method': 'ANY',
};

/** What an API (by logical id) adds to every route on it, from its OpenAPI definition. */
interface ApiExtras {
  binaryMediaTypes: string[];
  cors?: HttpCors;
}

/**
 * The functions with every route the template's API resources and definitions give them (added to their own), and
 * what was passed over. SAM events on an API with a definition get its binary media types and CORS, as SAM merges
 * the events into the definition.
 */
export function withTemplateRoutes(
  functions: FunctionSpec[],
  source: TemplateSource,
): { functions: FunctionSpec[]; skipped: DefinitionError[]; included: string[]; albActions: AlbActionRule[] } {
  const found = new Collector(functions, source);
  found.readRestApis();
  found.readHttpApis();
  found.readFunctionUrls();
  found.readSamDefinitions();
  found.readLoadBalancers();
  const out = functions.map((fn) => {
    const own = (fn.httpEvents ?? []).map((event) => found.withExtras(event));
    const added = (found.events.get(fn.name) ?? []).filter((event) => !own.some((e) => sameRoute(e, event)));
    const all = [...own, ...added];
    const albRules = found.albRules.get(fn.name);
    return { ...fn, ...(all.length ? { httpEvents: all } : {}), ...(albRules ? { albRules } : {}) };
  });
  return { functions: out, skipped: found.skipped, included: found.included, albActions: found.albActions };
}

function sameRoute(a: HttpEvent, b: HttpEvent): boolean {
  return a.kind === b.kind && a.api === b.api && a.method === b.method && a.path === b.path;
}

class Collector {
  readonly events = new Map<string, HttpEvent[]>();
  readonly albRules = new Map<string, AlbRule[]>();
  /** Listener rules and default actions that redirect or answer with a fixed response. */
  readonly albActions: AlbActionRule[] = [];
  /** The OpenAPI files read (DefinitionUri, AWS::Include), so that `start` reloads when one changes. */
  readonly included: string[] = [];
  readonly skipped: DefinitionError[] = [];
  private readonly extras = new Map<string, ApiExtras>();
  private readonly resources: Record<string, unknown>;
  private readonly functions: FunctionSpec[];
  private readonly source: TemplateSource;

  constructor(functions: FunctionSpec[], source: TemplateSource) {
    this.functions = functions;
    this.source = source;
    this.resources = asRecord(source.template.Resources);
  }

  withExtras(event: HttpEvent): HttpEvent {
    const extra = this.extras.get(event.api);
    if (!extra || event.kind === 'url') return event;
    const binaryMediaTypes = [...new Set([...event.binaryMediaTypes, ...extra.binaryMediaTypes])];
    return { ...event, binaryMediaTypes, ...(event.cors || !extra.cors ? {} : { cors: extra.cors }) };
  }

  private ofType(type: string): [string, Record<string, unknown>][] {
    return Object.entries(this.resources)
      .map(([id, raw]) => [id, asRecord(raw)] as [string, Record<string, unknown>])
      .filter(([, raw]) => raw.Type === type);
  }

  private skip(id: string, message: string, route?: HttpEvent): void {
    this.skipped.push({ file: this.source.file, line: this.source.lineOf(id), message, ...(route ? { route } : {}) });
  }

  private add(fn: FunctionSpec, event: HttpEvent): void {
    const list = this.events.get(fn.name) ?? [];
    if (!list.some((e) => sameRoute(e, event))) list.push(event);
    this.events.set(fn.name, list);
  }

  /** The function an integration's Uri, a TargetFunctionArn or a target Id names, or why there is none. */
  private functionOf(value: unknown): FunctionSpec | string {
    if (value instanceof Unresolved)
      return `its target ${value.text} can't be resolved without a deployed stack; point it at a function of this template (!GetAtt Fn.Arn).`;
    if (typeof value !== 'string' || !value) return `it names no function (${describeValue(value) || 'empty'}).`;
    const named = /(?:^|:)function:([^:/]+)/.exec(value)?.[1] ?? (value.includes(':') ? undefined : value);
    const fn = named === undefined ? undefined : this.functions.find((f) => f.name === named || f.functionName === named);
    return fn ?? `its target ${value} is no function of this project; point it at one (!GetAtt Fn.Arn).`;
  }

  // ---- REST APIs: AWS::ApiGateway::RestApi + Resource tree + Method ------------------------------------------------

  readRestApis(): void {
    const stages = this.stagesOf('AWS::ApiGateway::Stage', 'RestApiId', 'AWS::ApiGateway::Deployment');
    const paths = new Map<string, string | undefined>();
    const pathOf = (id: string, depth = 0): string | undefined => {
      if (paths.has(id)) return paths.get(id);
      const props = asRecord(asRecord(this.resources[id]).Properties);
      const parent = refOrRoot(props.ParentId);
      const part = this.source.resolve(props.PathPart);
      let path: string | undefined;
      if (typeof part === 'string' && parent && depth < 64) {
        const above = parent.root ? '' : pathOf(parent.id, depth + 1);
        path = above === undefined ? undefined : `${above}/${part}`;
      }
      paths.set(id, path);
      return path;
    };
    for (const [id, raw] of this.ofType('AWS::ApiGateway::RestApi')) {
      const props = asRecord(raw.Properties);
      const stage = stages.get(id) ?? 'Prod';
      const binaryMediaTypes = listOf(this.source.resolve(props.BinaryMediaTypes)).map((t) => t.replaceAll('~1', '/'));
      this.extras.set(id, { binaryMediaTypes });
      const definition = this.definitionOf(id, props.Body ?? props.BodyS3Location, props.Body === undefined ? 'BodyS3Location' : 'Body');
      if (definition) this.readOpenApi(id, definition, { kind: 'rest', api: id, stage, payloadVersion: '1.0', binaryMediaTypes, cors: undefined });
    }
    let keys: string[] | undefined;
    const apiKeys = () => (keys ??= templateApiKeys(this.resources, this.source.resolve));
    for (const [id, raw] of this.ofType('AWS::ApiGateway::Method')) {
      const props = asRecord(raw.Properties);
      const api = refOrRoot(props.RestApiId)?.id;
      if (!api || asRecord(this.resources[api]).Type !== 'AWS::ApiGateway::RestApi') {
        this.skip(id, `Method "${id}" is not served: its RestApiId is not !Ref of an AWS::ApiGateway::RestApi of this template.`);
        continue;
      }
      const target = refOrRoot(props.ResourceId);
      const path = target?.root ? '/' : target ? pathOf(target.id) : undefined;
      if (path === undefined) {
        this.skip(
          id,
          `Method "${id}" is not served: its ResourceId doesn't lead to the API's root through ParentId / PathPart (use !GetAtt ${api}.RootResourceId or !Ref of an AWS::ApiGateway::Resource).`,
        );
        continue;
      }
      const method = String(this.source.resolve(props.HttpMethod) ?? 'ANY').toUpperCase();
      const integration = asRecord(this.source.resolve(props.Integration));
      const auth = cfnMethodAuth(asRecord(this.source.resolve(props)), this.resources, this.source.resolve, apiKeys);
      const event: HttpEvent = {
        kind: 'rest',
        method,
        path,
        payloadVersion: '1.0',
        api,
        stage: stages.get(api) ?? 'Prod',
        binaryMediaTypes: this.extras.get(api)?.binaryMediaTypes ?? [],
        ...(auth ? { auth } : {}),
        line: 0,
      };
      this.addIntegration(id, `Method "${id}" (${method} ${path})`, event, text(integration.Type), integration.Uri);
    }
  }

  /** API id -> its stage: the first Stage resource's StageName, else a Deployment's StageName. */
  private stagesOf(stageType: string, apiKey: string, deploymentType?: string): Map<string, string> {
    const stages = new Map<string, string>();
    for (const type of [stageType, deploymentType]) {
      if (!type) continue;
      for (const [, raw] of this.ofType(type)) {
        const props = asRecord(raw.Properties);
        const api = refOrRoot(props[apiKey])?.id;
        const name = text(this.source.resolve(props.StageName));
        if (api && name && !stages.has(api)) stages.set(api, name);
      }
    }
    return stages;
  }

  /** Adds a route whose integration is a Lambda proxy to its function; any other is skipped with its route. */
  private addIntegration(id: string, what: string, event: HttpEvent, type: string | undefined, uri: unknown): void {
    const kind = (type ?? '').toUpperCase();
    if (kind !== 'AWS_PROXY') {
      const described = kind ? `an integration of type ${kind}` : 'no integration';
      this.skip(
        id,
        `${what} is not emulated: it has ${described}. Only Lambda proxy (AWS_PROXY) integrations run locally; the gateway answers it with 501 Not Implemented.`,
        {
          ...event,
          notEmulated: `${what} has ${described}${uri !== undefined ? ` (${describeValue(uri)})` : ''}, which Open Runtime does not emulate; only Lambda proxy (AWS_PROXY) integrations run locally.`,
        },
      );
      return;
    }
    const fn = this.functionOf(uri);
    if (typeof fn === 'string') this.skip(id, `${what} is not served: ${fn}`);
    else this.add(fn, event);
  }

  // ---- HTTP APIs: AWS::ApiGatewayV2::Api (quick create or Routes + Integrations) ----------------------------------

  readHttpApis(): void {
    const stages = this.stagesOf('AWS::ApiGatewayV2::Stage', 'ApiId');
    const apis = new Map<string, { stage: string; cors?: HttpCors }>();
    for (const [id, raw] of this.ofType('AWS::ApiGatewayV2::Api')) {
      const props = asRecord(this.source.resolve(asRecord(raw.Properties)));
      if (text(props.ProtocolType) !== undefined && text(props.ProtocolType)!.toUpperCase() !== 'HTTP') continue; // WebSocket APIs: not HTTP routes
      const cors = listCors(props.CorsConfiguration, PASCAL, ALLOW_ALL);
      const stage = props.Target !== undefined ? '$default' : (stages.get(id) ?? '$default');
      apis.set(id, { stage, ...(cors ? { cors } : {}) });
      if (cors) this.extras.set(id, { binaryMediaTypes: [], cors });
      const base = { kind: 'http' as const, api: id, stage, binaryMediaTypes: [], ...(cors ? { cors } : {}), line: 0 };
      if (props.Target !== undefined) {
        // Quick create: one route (RouteKey, default $default) to the Target, payload 2.0, stage $default.
        const { method, path } = routeKeyOf(text(props.RouteKey) ?? '$default');
        const fn = this.functionOf(props.Target);
        if (typeof fn === 'string') this.skip(id, `HTTP API "${id}" (quick create) is not served: ${fn}`);
        else this.add(fn, { ...base, method, path, payloadVersion: '2.0' });
      }
      const rawProps = asRecord(raw.Properties);
      const definition = this.definitionOf(id, rawProps.Body ?? rawProps.BodyS3Location, rawProps.Body === undefined ? 'BodyS3Location' : 'Body');
      if (definition) this.readOpenApi(id, definition, { ...base, payloadVersion: '2.0' });
    }
    const integrations = new Map(this.ofType('AWS::ApiGatewayV2::Integration').map(([id, raw]) => [id, asRecord(this.source.resolve(raw.Properties))]));
    for (const [id, raw] of this.ofType('AWS::ApiGatewayV2::Route')) {
      const props = asRecord(this.source.resolve(raw.Properties));
      const apiId = refOrRoot(asRecord(raw.Properties).ApiId)?.id;
      const api = apiId ? apis.get(apiId) : undefined;
      const routeKey = text(props.RouteKey) ?? '';
      // A WebSocket API's routes are read by websocket-events.ts.
      if (apiId && text(asRecord(this.source.resolve(asRecord(asRecord(this.resources[apiId]).Properties))).ProtocolType)?.toUpperCase() === 'WEBSOCKET')
        continue;
      if (!apiId || !api) {
        this.skip(id, `Route "${id}" (${routeKey}) is not served: its ApiId is not !Ref of an HTTP AWS::ApiGatewayV2::Api of this template.`);
        continue;
      }
      const { method, path } = routeKeyOf(routeKey);
      const target = props.Target;
      const integrationId = typeof target === 'string' ? /^integrations\/(.+)$/.exec(target)?.[1] : undefined;
      const integration = integrationId ? integrations.get(integrationId) : undefined;
      if (!integration) {
        this.skip(
          id,
          `Route "${id}" (${routeKey}) is not served: its Target (${describeValue(target) || 'none'}) is not "integrations/<id>" of an AWS::ApiGatewayV2::Integration of this template.`,
        );
        continue;
      }
      const payloadVersion = text(integration.PayloadFormatVersion) === '1.0' ? '1.0' : '2.0';
      const event: HttpEvent = {
        kind: 'http',
        method,
        path,
        payloadVersion,
        api: apiId,
        stage: api.stage,
        binaryMediaTypes: [],
        ...(api.cors ? { cors: api.cors } : {}),
        line: 0,
      };
      this.addIntegration(id, `Route "${id}" (${routeKey})`, event, text(integration.IntegrationType), integration.IntegrationUri);
    }
  }

  // ---- AWS::Lambda::Url ---------------------------------------------------------------------------------------------

  readFunctionUrls(): void {
    for (const [id, raw] of this.ofType('AWS::Lambda::Url')) {
      const props = asRecord(this.source.resolve(raw.Properties));
      const fn = this.functionOf(props.TargetFunctionArn);
      if (typeof fn === 'string') {
        this.skip(id, `Function URL "${id}" is not served: ${fn}`);
        continue;
      }
      if (fn.httpEvents?.some((e) => e.kind === 'url')) continue; // FunctionUrlConfig made the same URL
      this.add(fn, functionUrl(fn.name, text(props.InvokeMode), listCors(props.Cors, PASCAL, ALLOW_ALL)));
    }
  }

  // ---- Application Load Balancers: ListenerRule / Listener DefaultActions -> TargetGroup (TargetType lambda) -------

  readLoadBalancers(): void {
    const region = String(this.source.resolve({ Ref: 'AWS::Region' }));
    const account = String(this.source.resolve({ Ref: 'AWS::AccountId' }));
    const groups = new Map<string, { fn: FunctionSpec | string; arn: string; multiValueHeaders: boolean }>();
    for (const [id, raw] of this.ofType('AWS::ElasticLoadBalancingV2::TargetGroup')) {
      const props = asRecord(this.source.resolve(raw.Properties));
      if (text(props.TargetType)?.toLowerCase() !== 'lambda') continue;
      const target = asRecord((Array.isArray(props.Targets) ? props.Targets : [])[0]).Id;
      const attributes = (Array.isArray(props.TargetGroupAttributes) ? props.TargetGroupAttributes : []).map((a) => asRecord(a));
      const multi = attributes.some((a) => a.Key === 'lambda.multi_value_headers.enabled' && String(a.Value).toLowerCase() === 'true');
      groups.set(id, {
        fn: target === undefined ? 'it registers no target (Targets: [{ Id: !GetAtt Fn.Arn }]).' : this.functionOf(target),
        arn: targetGroupArn(text(props.Name) ?? id, region, account),
        multiValueHeaders: multi,
      });
    }
    const forward = (id: string, what: string, listener: string, priority: number, conditions: AlbRule['conditions'], actions: unknown): void => {
      const answer = listenerAction(actions);
      const target = forwardTargets(actions);
      const authenticate = authenticateAction(actions);
      // ALB would log the user in first; here nobody can, so the rule is served without it, and start says so.
      const served = () => {
        if (authenticate)
          this.skip(
            id,
            `${what} is served WITHOUT its ${authenticate.type} action: there is no identity provider to log in with locally, so every request passes. Set OPEN_RUNTIME_ALB_IDENTITY to a JSON object of claims ('{"sub":"ada","email":"ada@example.com"}') to get the x-amzn-oidc-identity, -data and -accesstoken headers as if that user had logged in.`,
          );
      };
      if (answer && !(target && 'groups' in target)) {
        if ('problem' in answer) return this.skip(id, `${what} is not served: ${answer.problem}`);
        this.albActions.push({ listener, priority, conditions, action: answer, id, ...(authenticate ? { authenticate } : {}) });
        return served();
      }
      if (!target) return this.skip(id, `${what} is not served: it has no forward, redirect or fixed-response action.`);
      if ('other' in target)
        return this.skip(
          id,
          `${what} is not served: its ${target.other} action is not emulated; forward actions to Lambda target groups, redirects and fixed responses run locally.`,
        );
      const bad = target.groups.find((g) => Number.isNaN(g.weight));
      if (bad) return this.skip(id, `${what} is not served: a target group's Weight is not a whole number from 0 to 999.`);
      if (!target.groups.some((g) => g.weight > 0))
        return this.skip(id, `${what} is not served: it forwards to no target group (or each has Weight 0), so ALB would send it nowhere.`);
      const weighted = target.groups.length > 1;
      const rules: [FunctionSpec, AlbRule][] = [];
      for (const { targetGroup, weight } of target.groups) {
        const groupRef = refOrRoot(targetGroup)?.id ?? text(this.source.resolve(targetGroup));
        const group = groupRef ? groups.get(groupRef) : undefined;
        // A group that gets no requests (Weight 0) may be anything: it is left out.
        if (weight === 0 && (!group || typeof group.fn === 'string')) continue;
        if (!group)
          return this.skip(
            id,
            `${what} is not served: it forwards to ${describeValue(this.source.resolve(targetGroup)) || 'nothing'}${weighted ? ` (Weight ${weight})` : ''}, which is no target group of this template with TargetType lambda.`,
          );
        if (typeof group.fn === 'string')
          return this.skip(id, `${what} is not served: its target group ${groupRef} ${group.fn.replace(/^its target/, 'targets')}`);
        rules.push([
          group.fn,
          {
            listener,
            priority,
            conditions,
            targetGroupArn: group.arn,
            multiValueHeaders: group.multiValueHeaders,
            ...(weighted ? { weight } : {}),
            ...(authenticate ? { authenticate } : {}),
          },
        ]);
      }
      for (const [fn, rule] of rules) {
        const list = this.albRules.get(fn.name) ?? [];
        list.push(rule);
        this.albRules.set(fn.name, list);
      }
      if (weighted && target.sticky)
        this.skip(
          id,
          `${what} is served with its TargetGroupStickinessConfig ignored: locally each request is given to a target group by Weight, with no stickiness cookie.`,
        );
      served();
    };
    for (const [id, raw] of this.ofType('AWS::ElasticLoadBalancingV2::ListenerRule')) {
      const rawProps = asRecord(raw.Properties);
      const props = asRecord(this.source.resolve(rawProps));
      const listener = refOrRoot(rawProps.ListenerArn)?.id ?? (describeValue(props.ListenerArn) || 'listener');
      const priority = Number(props.Priority);
      const conditions = cfnAlbConditions(props.Conditions);
      const what = `Listener rule "${id}" (priority ${describeValue(props.Priority)})`;
      if (typeof conditions === 'string') this.skip(id, `${what} is not served: ${conditions}`);
      else if (!Number.isInteger(priority) || priority < 1 || priority > 50000)
        this.skip(id, `${what} is not served: Priority must be a whole number from 1 to 50000.`);
      else forward(id, what, listener, priority, conditions, props.Actions);
    }
    for (const [id, raw] of this.ofType('AWS::ElasticLoadBalancingV2::Listener')) {
      const actions = asRecord(this.source.resolve(raw.Properties)).DefaultActions;
      forward(id, `The default action of listener "${id}"`, id, 50001, [], actions);
    }
  }

  // ---- OpenAPI definitions ------------------------------------------------------------------------------------------

  /** SAM Api / HttpApi DefinitionBody or DefinitionUri: routes with integrations, and the API-wide extensions. */
  readSamDefinitions(): void {
    const globals = asRecord(this.source.template.Globals);
    for (const [type, kind] of [
      ['AWS::Serverless::Api', 'rest'],
      ['AWS::Serverless::HttpApi', 'http'],
    ] as const) {
      for (const [id, raw] of this.ofType(type)) {
        const props = { ...asRecord(globals[kind === 'rest' ? 'Api' : 'HttpApi']), ...asRecord(raw.Properties) };
        const definition = this.definitionOf(
          id,
          props.DefinitionBody ?? props.DefinitionUri,
          props.DefinitionBody === undefined ? 'DefinitionUri' : 'DefinitionBody',
        );
        if (!definition) continue;
        const resolved = asRecord(this.source.resolve(props));
        const stage = text(resolved.StageName) ?? (kind === 'rest' ? 'Prod' : '$default');
        const binaryMediaTypes = listOf(resolved.BinaryMediaTypes).map((t) => t.replaceAll('~1', '/'));
        const cors = kind === 'http' ? listCors(resolved.CorsConfiguration, PASCAL, ALLOW_ALL) : undefined;
        this.readOpenApi(id, definition, {
          kind,
          api: id,
          stage,
          payloadVersion: kind === 'rest' ? '1.0' : '2.0',
          binaryMediaTypes,
          ...(cors ? { cors } : {}),
        });
      }
    }
  }

  /**
   * The OpenAPI document a property holds: inline (its intrinsics resolved), `Fn::Transform: AWS::Include` of a
   * local file, or the path of a local file (DefinitionUri, a raw API's BodyS3Location). Undefined, with a skipped
   * line, when it is only in S3 or can't be read.
   */
  private definitionOf(id: string, value: unknown, property: string): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    const transform = intrinsicOf(value);
    let location: unknown;
    if (transform?.name === 'Fn::Transform') {
      const args = asRecord(transform.arg);
      if (args.Name !== 'AWS::Include') {
        this.skip(id, `The OpenAPI ${property} of "${id}" uses the transform ${describeValue(args.Name)}, which can't run locally; its routes are not served.`);
        return undefined;
      }
      location = this.source.resolve(asRecord(args.Parameters).Location);
    } else if (property === 'DefinitionBody' || property === 'Body') {
      return asRecord(this.source.resolve(value));
    } else {
      location = this.source.resolve(value);
    }
    if (typeof location !== 'string' || /^(s3|https?):\/\//.test(location)) {
      this.skip(
        id,
        `The OpenAPI ${property} of "${id}" (${describeValue(location) || 'an S3 object'}) is not a local file, so its routes are not served. Point it at a file next to the template (./api.yaml).`,
      );
      return undefined;
    }
    const file = resolvePath(dirname(this.source.file), location);
    if (!this.included.includes(file)) this.included.push(file);
    try {
      const yaml = parseYaml(readFileSync(file, 'utf8'), file);
      if (yaml.syntaxErrors.length) throw new Error(`line ${yaml.syntaxErrors[0]!.line}: ${yaml.syntaxErrors[0]!.message}`);
      // AWS::Include processes intrinsics in the included file; a DefinitionUri file is taken as written.
      const plain = yaml.plain(yaml.doc.contents);
      return asRecord(transform ? this.source.resolve(plain) : plain);
    } catch (error) {
      this.skip(id, `The OpenAPI ${property} of "${id}" (${basename(file)}) could not be read: ${(error as Error).message}. Its routes are not served.`);
      return undefined;
    }
  }

  /** Paths and methods with x-amazon-apigateway-integration, and the definition's binary media types and CORS. */
  private readOpenApi(id: string, definition: Record<string, unknown>, base: Omit<HttpEvent, 'method' | 'path' | 'line'>): void {
    const binary = listOf(definition['x-amazon-apigateway-binary-media-types']).map((t) => t.replaceAll('~1', '/'));
    const cors = base.kind === 'http' ? listCors(definition['x-amazon-apigateway-cors'], CAMEL_OPENAPI, ALLOW_ALL) : undefined;
    const extra = this.extras.get(base.api) ?? { binaryMediaTypes: [] };
    extra.binaryMediaTypes = [...new Set([...extra.binaryMediaTypes, ...base.binaryMediaTypes, ...binary])];
    if (cors && !extra.cors) extra.cors = cors;
    this.extras.set(base.api, extra);
    const apiCors = base.cors ?? extra.cors;
    for (const [rawPath, item] of Object.entries(asRecord(definition.paths))) {
      const path = rawPath === '$default' ? '$default' : rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
      for (const [key, operation] of Object.entries(asRecord(item))) {
        const method = OPERATIONS[key.toLowerCase()];
        if (!method) continue;
        const integration = asRecord(asRecord(operation)['x-amazon-apigateway-integration']);
        const what = `${method} ${path} of the OpenAPI definition of "${id}"`;
        // No integration: SAM adds one for each function event on this path (http-events.ts reads those events).
        if (!Object.keys(integration).length) continue;
        const payloadVersion = base.kind === 'rest' ? '1.0' : text(integration.payloadFormatVersion) === '1.0' ? '1.0' : '2.0';
        const event: HttpEvent = {
          ...base,
          binaryMediaTypes: extra.binaryMediaTypes,
          ...(apiCors ? { cors: apiCors } : {}),
          method,
          path,
          payloadVersion,
          line: 0,
        };
        this.addIntegration(id, what, event, text(integration.type)?.replace(/-/g, '_'), integration.uri);
      }
    }
  }
}

/** `!Ref Id` -> { id }; `!GetAtt Api.RootResourceId` -> { id: Api, root: true }. */
function refOrRoot(value: unknown): { id: string; root: boolean } | undefined {
  const intrinsic = intrinsicOf(value);
  if (intrinsic?.name === 'Ref' && typeof intrinsic.arg === 'string') return { id: intrinsic.arg, root: false };
  if (intrinsic?.name === 'Fn::GetAtt') {
    const [id, attribute] = typeof intrinsic.arg === 'string' ? intrinsic.arg.split(/\.(.*)/s, 2) : Array.isArray(intrinsic.arg) ? intrinsic.arg : [];
    if (typeof id === 'string') return { id, root: attribute === 'RootResourceId' };
  }
  return undefined;
}

/** An HTTP API route key: `GET /items/{id}`, `ANY /{proxy+}`, `$default`. */
function routeKeyOf(key: string): { method: string; path: string } {
  if (key.trim() === '$default') return { method: 'ANY', path: '$default' };
  const [method, path] = key.trim().split(/\s+/, 2);
  return { method: (method ?? 'ANY').toUpperCase(), path: path ?? '/' };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

function listOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
