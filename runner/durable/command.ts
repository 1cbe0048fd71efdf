// `open-runtime execution list|get|history|stop` and `open-runtime callback succeed|fail|heartbeat`: the durable
// execution API of a running runner (`open-runtime start`, port 3001 unless told), through @aws-sdk/client-lambda as
// any client would call it, as `sam local execution` / `sam local callback` do for SAM's emulator. Answers print as
// JSON on stdout; a refusal is one sentence on stderr and exit 1.
import { parseArgs } from 'node:util';

export const DURABLE_USAGE = `  open-runtime execution list <function> [--status RUNNING|SUCCEEDED|FAILED|TIMED_OUT|STOPPED]... [--name N] [runner options]
  open-runtime execution get <execution-arn> [runner options]
  open-runtime execution history <execution-arn> [runner options]
  open-runtime execution stop <execution-arn> [--error-type T] [--error-message M] [runner options]
  open-runtime callback succeed <callback-id> [--result JSON] [runner options]
  open-runtime callback fail <callback-id> [--error-type T] [--error-message M] [--error-data D] [runner options]
  open-runtime callback heartbeat <callback-id> [runner options]
      Durable executions of a running runner: list a function's executions, show one and its history, stop it,
      complete a callback the function waits on. Runner options: --port N (3001) or --endpoint-url URL.`;

export class DurableUsageError extends Error {}

export async function durableCommand(noun: string, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: 'string', short: 'p' },
      'endpoint-url': { type: 'string' },
      status: { type: 'string', multiple: true },
      name: { type: 'string' },
      result: { type: 'string' },
      'error-type': { type: 'string' },
      'error-message': { type: 'string' },
      'error-data': { type: 'string' },
    },
  });
  const [verb, target, ...extra] = positionals;
  const verbs = noun === 'execution' ? ['list', 'get', 'history', 'stop'] : ['succeed', 'fail', 'heartbeat'];
  if (!verb || !verbs.includes(verb)) throw new DurableUsageError(`${noun} takes one of ${verbs.join(', ')}${verb ? `, not "${verb}"` : ''}.`);
  if (!target)
    throw new DurableUsageError(
      `${noun} ${verb} needs ${noun === 'callback' ? 'the callback id' : verb === 'list' ? 'the function name' : 'the execution ARN'}.`,
    );
  if (extra.length) throw new DurableUsageError(`Unexpected argument "${extra[0]}".`);
  const port = values.port ?? '3001';
  if (!/^\d{1,5}$/.test(port)) throw new DurableUsageError(`Bad port "${port}".`);
  const endpoint = values['endpoint-url'] ?? `http://127.0.0.1:${port}`;
  const sdk = await import('@aws-sdk/client-lambda');
  const client = new sdk.LambdaClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'open-runtime', secretAccessKey: 'open-runtime' },
  });
  const error =
    values['error-type'] || values['error-message'] || values['error-data']
      ? { ErrorType: values['error-type'], ErrorMessage: values['error-message'], ErrorData: values['error-data'] }
      : undefined;
  try {
    const answer = await send(sdk, client, noun, verb, target, { statuses: values.status, name: values.name, result: values.result, error });
    const { $metadata: _, ...shown } = answer as { $metadata?: unknown };
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string; $metadata?: unknown };
    const unreachable = e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(String(e.message));
    process.stderr.write(
      `open-runtime: ${unreachable ? `no runner answers at ${endpoint}; start one with open-runtime start (or pass --port / --endpoint-url).` : `${e.name}: ${e.message}`}\n`,
    );
    return 1;
  } finally {
    client.destroy();
  }
}

type Sdk = typeof import('@aws-sdk/client-lambda');

async function send(
  sdk: Sdk,
  client: InstanceType<Sdk['LambdaClient']>,
  noun: string,
  verb: string,
  target: string,
  o: { statuses?: string[] | undefined; name?: string | undefined; result?: string | undefined; error?: Record<string, string | undefined> | undefined },
): Promise<unknown> {
  if (noun === 'execution') {
    switch (verb) {
      case 'list':
        return client.send(
          new sdk.ListDurableExecutionsByFunctionCommand({ FunctionName: target, Statuses: o.statuses as never, DurableExecutionName: o.name }),
        );
      case 'get':
        return client.send(new sdk.GetDurableExecutionCommand({ DurableExecutionArn: target }));
      case 'history': {
        const events: unknown[] = [];
        let marker: string | undefined;
        do {
          const page = await client.send(
            new sdk.GetDurableExecutionHistoryCommand({ DurableExecutionArn: target, IncludeExecutionData: true, Marker: marker }),
          );
          events.push(...(page.Events ?? []));
          marker = page.NextMarker;
        } while (marker);
        return { Events: events };
      }
      default:
        return client.send(new sdk.StopDurableExecutionCommand({ DurableExecutionArn: target, Error: o.error }));
    }
  }
  switch (verb) {
    case 'succeed':
      if (o.result !== undefined) {
        try {
          JSON.parse(o.result);
        } catch {
          throw new DurableUsageError(`--result must be JSON (the function parses it), e.g. --result '{"approved":true}'; got ${o.result}.`);
        }
      }
      return client.send(
        new sdk.SendDurableExecutionCallbackSuccessCommand({ CallbackId: target, Result: o.result === undefined ? undefined : Buffer.from(o.result) }),
      );
    case 'fail':
      return client.send(
        new sdk.SendDurableExecutionCallbackFailureCommand({
          CallbackId: target,
          Error: o.error ?? { ErrorMessage: 'Failed from open-runtime callback fail' },
        }),
      );
    default:
      return client.send(new sdk.SendDurableExecutionCallbackHeartbeatCommand({ CallbackId: target }));
  }
}
