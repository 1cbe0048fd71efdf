// `open-runtime generate-event <service> <event> [--field value ...]`: SAM CLI's `sam local generate-event`, so a
// script or a habit written for it works here, printing the event's JSON on stdout. The events are the one catalogue
// (catalogue.ts) the editor's picker and `invoke --event` use; this file only names them as SAM does: a service
// (`apigateway`, `sqs` ...), an event within it (the catalogue id, the id without its service word, or SAM's own name
// such as `http-api-proxy` or `receive-message`), and each field as a flag (`--queue-name` or `--queueName`).
import { closeMatches, listEventTemplates, renderEventText, type EventTemplate } from './catalogue.ts';

export const GENERATE_EVENT_USAGE = `  open-runtime generate-event [<service> [<event> [--<field> <value> ...]]]
      Print an event as the service sends it (JSON, on stdout), like sam local generate-event: e.g.
      generate-event apigateway http-api-proxy --path /orders --body '{"id":1}', generate-event sqs receive-message --body hi.
      Without an event: the services, or one service's events and their fields.`;

/** A mistake in the command line: the CLI prints it with the usage (exit 2). */
export class GenerateEventUsageError extends Error {}

/** SAM CLI's service names for the catalogue's sources; a source not here is named by its own words. */
const SERVICE_OF_SOURCE: Record<string, string> = {
  'Amazon API Gateway': 'apigateway',
  'Elastic Load Balancing': 'alb',
  'AWS Lambda': 'lambda',
  'Amazon Data Firehose': 'firehose',
  'Apache Kafka': 'kafka',
  'AWS Transfer Family': 'transfer-family',
  'Amazon Lex': 'lex-v2',
  'AWS Secrets Manager': 'secrets-manager',
  'AWS Step Functions': 'stepfunctions',
  'AWS IoT Core': 'iot',
};

/** SAM CLI's event names (`sam local generate-event <service> <event>`) and the catalogue template each one is. */
const SAM_EVENTS: Record<string, Record<string, string>> = {
  apigateway: {
    'aws-proxy': 'apigw-rest-proxy',
    'http-api-proxy': 'apigw-http',
    authorizer: 'apigw-rest-authorizer-token',
    'request-authorizer': 'apigw-rest-authorizer-request',
    'request-authorizer-v2': 'apigw-http-authorizer',
  },
  sqs: { 'receive-message': 'sqs' },
  sns: { notification: 'sns' },
  s3: { put: 's3-put', delete: 's3-delete', 'batch-invocation': 's3-batch' },
  dynamodb: { update: 'dynamodb-modify' },
  kinesis: { 'get-records': 'kinesis', 'kinesis-firehose': 'kinesis-firehose', 'streams-as-source': 'kinesis-firehose-stream-source' },
  cloudwatch: { 'scheduled-event': 'eventbridge-scheduled', logs: 'cloudwatch-logs' },
  cloudformation: { 'create-request': 'cloudformation-create', 'update-request': 'cloudformation-update', 'delete-request': 'cloudformation-delete' },
  codepipeline: { job: 'codepipeline-job' },
  config: { 'item-change-notification': 'config-rule' },
  ses: { 'email-receiving': 'ses-receive' },
  appsync: { 'direct-resolver': 'appsync-resolver' },
};

/** SAM's flags that fill ARNs and hosts with an account or region: the catalogue's events carry local ones. */
const SAM_ONLY_FLAGS = new Set(['region', 'account-id', 'accountId', 'partition', 'dns-suffix', 'dnsSuffix', 'stage']);

function serviceOf(template: EventTemplate): string {
  return (
    SERVICE_OF_SOURCE[template.source] ??
    template.source
      .replace(/^(Amazon|AWS)\s+/, '')
      .toLowerCase()
      .replace(/\s+/g, '-')
  );
}

/** Each service with its events: the name shown, and every name that finds the template. */
function services(): Map<string, Array<{ name: string; names: string[]; template: EventTemplate }>> {
  const out = new Map<string, Array<{ name: string; names: string[]; template: EventTemplate }>>();
  const templates = listEventTemplates();
  for (const template of templates) {
    const service = serviceOf(template);
    const ownWord = template.id.split('-')[0]!;
    // The id without the service's name (`iot-rule` is `iot rule`), or without the word every template of the
    // service starts with (`apigw-http` is `apigateway http`).
    const siblings = templates.filter((t) => serviceOf(t) === service);
    const shared = siblings.length > 1 && siblings.every((t) => t.id.split('-')[0] === ownWord);
    const prefix = template.id.startsWith(`${service}-`) ? `${service}-` : shared && template.id.startsWith(`${ownWord}-`) ? `${ownWord}-` : '';
    const short = template.id.slice(prefix.length);
    const sam = Object.entries(SAM_EVENTS[service] ?? {})
      .filter(([, id]) => id === template.id)
      .map(([name]) => name);
    const list = out.get(service) ?? [];
    list.push({ name: sam[0] ?? short, names: [...new Set([...sam, short, template.id])], template });
    out.set(service, list);
  }
  // SAM names an event under another service than the catalogue's (cloudwatch scheduled-event is EventBridge's).
  for (const [service, events] of Object.entries(SAM_EVENTS)) {
    for (const [name, id] of Object.entries(events)) {
      const list = out.get(service) ?? [];
      if (list.some((e) => e.names.includes(name))) continue;
      const template = templates.find((t) => t.id === id);
      if (template) list.push({ name, names: [name], template });
      out.set(service, list);
    }
  }
  return out;
}

export function generateEventCommand(args: string[]): number {
  const positionals: string[] = [];
  const values: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(`Usage:\n${GENERATE_EVENT_USAGE}\n`);
      return 0;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [flag, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const value = inline ?? args[++i];
    if (value === undefined) throw new GenerateEventUsageError(`--${flag} needs a value.`);
    if (SAM_ONLY_FLAGS.has(flag)) {
      process.stderr.write(`open-runtime: --${flag} has no effect: the event carries local values (region us-east-1, account 123456789012).\n`);
      continue;
    }
    values[flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  const [serviceName, eventName, extra] = positionals;
  if (extra !== undefined)
    throw new GenerateEventUsageError(`generate-event takes a service and an event; "${extra}" is one word too many (quote a value with spaces).`);
  const all = services();
  if (!serviceName) {
    const lines = [...all].map(([service, events]) => `  ${service.padEnd(16)} ${events.map((e) => e.name).join(', ')}`);
    process.stdout.write(`Services and their events (open-runtime generate-event <service> <event>):\n${lines.join('\n')}\n`);
    return 0;
  }
  const events = all.get(serviceName);
  if (!events) {
    const near = closeMatches(serviceName, [...all.keys()]);
    throw new GenerateEventUsageError(
      `There is no service "${serviceName}"${near.length ? `; did you mean ${near.join(' or ')}?` : '.'} Run open-runtime generate-event to list them.`,
    );
  }
  if (!eventName) {
    const lines = events.map(
      (e) =>
        `  ${e.name.padEnd(24)} ${e.template.label}${e.template.fields.length ? `\n${' '.repeat(27)}${e.template.fields.map((f) => `--${kebab(f.name)}`).join(' ')}` : ''}`,
    );
    process.stdout.write(`Events of ${serviceName} (open-runtime generate-event ${serviceName} <event> [--field value]):\n${lines.join('\n')}\n`);
    return 0;
  }
  const event = events.find((e) => e.names.includes(eventName));
  if (!event) {
    const near = closeMatches(
      eventName,
      events.flatMap((e) => e.names),
    );
    throw new GenerateEventUsageError(
      `${serviceName} has no event "${eventName}"${near.length ? `; did you mean ${near.join(' or ')}?` : '.'} Its events: ${events.map((e) => e.name).join(', ')}.`,
    );
  }
  let text: string;
  try {
    text = renderEventText(event.template.id, values);
  } catch (err) {
    throw new GenerateEventUsageError(
      (err as Error).message.replace(/([Ff]ield) "([A-Za-z0-9]+)"/g, (_, word: string, name: string) => `${word} "${name}" (--${kebab(name)})`),
    );
  }
  process.stdout.write(text);
  return 0;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
