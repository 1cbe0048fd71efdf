// Telemetry API 2022-07-01 for one execution environment: an extension subscribes with PUT /telemetry and
// receives platform.*, function and extension events, batched by its buffering settings, POSTed to its
// HTTP destination as Lambda does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody, sendRuntimeError } from '../http-util.ts';
import type { TelemetryEnvironment } from './served-environment.ts';
import { importCommonJs } from '../import-commonjs.ts';

/**
 * Schema versions Lambda's Telemetry API takes. 2025-01-29 is the current one and the default; its platform events
 * carry the invocation's `tenantId` (tenant-isolated functions). Older subscribers get their events without it.
 */
export const SCHEMA_VERSIONS = ['2022-07-01', '2022-12-13', '2025-01-29'] as const;
const TENANT_SCHEMA = '2025-01-29';

export const SubscribeBody = z.object({
  schemaVersion: z.enum(SCHEMA_VERSIONS).default(TENANT_SCHEMA),
  destination: z.object({ protocol: z.literal('HTTP'), URI: z.string().url() }),
  types: z.array(z.enum(['platform', 'function', 'extension'])).min(1),
  buffering: z
    .object({
      maxItems: z.number().int().min(1000).max(10000).default(10000),
      maxBytes: z.number().int().min(262144).max(1048576).default(262144),
      timeoutMs: z.number().int().min(25).max(30000).default(1000),
    })
    .default({ maxItems: 10000, maxBytes: 262144, timeoutMs: 1000 }),
});

type Category = 'platform' | 'function' | 'extension';
interface TelemetryEvent {
  time: string;
  type: string;
  record: unknown;
}

interface Subscriber {
  extensionId: string;
  /** Before 2025-01-29: records go without their tenantId. */
  withoutTenant: boolean;
  uri: string;
  types: Set<Category>;
  maxItems: number;
  maxBytes: number;
  timeoutMs: number;
  batch: TelemetryEvent[];
  bytes: number;
  timer: NodeJS.Timeout | undefined;
  sending: Promise<void>;
}

/**
 * Events from the environment's start are kept so a subscriber that joins during init (extensions subscribe
 * before their first event/next) still sees init. The backlog closes with the first invocation.
 */
const BACKLOG_LIMIT = 1000;

export class TelemetryHub {
  private readonly env: TelemetryEnvironment;
  private readonly subscribers = new Map<string, Subscriber>();
  private backlog: Array<{ category: Category; event: TelemetryEvent }> | undefined = [];

  constructor(env: TelemetryEnvironment) {
    this.env = env;
  }

  /** Nobody listens and nothing is kept: the hot path makes no events at all. */
  private get unheard(): boolean {
    return this.subscribers.size === 0 && (this.backlog === undefined || this.backlog.length >= BACKLOG_LIMIT);
  }

  /** The first invocation starts: init is over, and so is the backlog for late subscribers. */
  closeBacklog(): void {
    this.backlog = undefined;
  }

  platform(type: string, record: unknown): void {
    if (this.unheard) return;
    this.publish('platform', { time: new Date().toISOString(), type, record });
  }

  functionLog(line: string): void {
    if (this.unheard) return;
    this.publish('function', { time: new Date().toISOString(), type: 'function', record: line });
  }

  extensionLog(name: string, line: string): void {
    if (this.unheard) return;
    this.publish('extension', { time: new Date().toISOString(), type: 'extension', record: { extensionName: name, message: line } });
  }

  private publish(category: Category, event: TelemetryEvent): void {
    if (this.backlog && this.backlog.length < BACKLOG_LIMIT) this.backlog.push({ category, event });
    for (const sub of this.subscribers.values()) if (sub.types.has(category)) this.enqueue(sub, event);
  }

  private enqueue(sub: Subscriber, event: TelemetryEvent): void {
    if (sub.withoutTenant) event = withoutTenant(event);
    const size = JSON.stringify(event).length;
    if (sub.batch.length && sub.bytes + size > sub.maxBytes) this.send(sub);
    sub.batch.push(event);
    sub.bytes += size;
    if (sub.batch.length >= sub.maxItems) this.send(sub);
    else sub.timer ??= setTimeout(() => this.send(sub), sub.timeoutMs);
  }

  private send(sub: Subscriber): void {
    clearTimeout(sub.timer);
    sub.timer = undefined;
    if (sub.batch.length === 0) return;
    const batch = sub.batch;
    sub.batch = [];
    sub.bytes = 0;
    // Batches go out in order, one at a time per subscriber, like Lambda's delivery.
    sub.sending = sub.sending.then(async () => {
      try {
        // undici loads on the first delivery: most environments have no telemetry subscriber.
        const { request } = await importCommonJs(import('undici'));
        const res = await request(sub.uri, {
          method: 'POST',
          body: JSON.stringify(batch),
          headers: { 'content-type': 'application/json' },
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        await res.body.dump();
      } catch (err) {
        this.env.platformLog(`TELEMETRY delivery to ${sub.uri} failed: ${(err as Error).message}`);
      }
    });
  }

  /** Delivers what is buffered (on shutdown). */
  async flush(): Promise<void> {
    for (const sub of this.subscribers.values()) this.send(sub);
    await Promise.all([...this.subscribers.values()].map((s) => s.sending));
  }

  /** `registered` is the caller's rough check (some extension registered); the identifier itself is checked here. */
  async handle(req: IncomingMessage, res: ServerResponse, extensionId: string | undefined, registered: boolean): Promise<void> {
    if (req.method !== 'PUT') {
      req.resume();
      return sendRuntimeError(res, 405, 'MethodNotAllowed', 'The Telemetry API takes PUT /2022-07-01/telemetry.');
    }
    const body = await readBody(req, 64 * 1024);
    // Only an extension of this environment may subscribe: an unknown identifier would otherwise receive the function's logs.
    const extensionName = registered && extensionId !== undefined ? this.env.extensions.nameOf(extensionId) : undefined;
    if (!extensionId || !extensionName)
      return sendRuntimeError(res, 403, 'Telemetry.Unknown', 'Subscribe with the Lambda-Extension-Identifier of a registered extension.');
    let parsed: z.infer<typeof SubscribeBody>;
    try {
      parsed = SubscribeBody.parse(JSON.parse(body.toString('utf8')));
    } catch (err) {
      return sendRuntimeError(
        res,
        400,
        'ValidationError',
        `Bad telemetry subscription: ${err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (err as Error).message}`,
      );
    }
    const destination = new URL(parsed.destination.URI);
    if (!['127.0.0.1', 'localhost', 'sandbox.localdomain', '[::1]'].includes(destination.hostname)) {
      return sendRuntimeError(
        res,
        400,
        'ValidationError',
        `Telemetry destinations must be local (sandbox.localdomain or 127.0.0.1), not ${destination.hostname}.`,
      );
    }
    if (destination.hostname === 'sandbox.localdomain') destination.hostname = '127.0.0.1';
    const sub: Subscriber = {
      extensionId,
      withoutTenant: parsed.schemaVersion < TENANT_SCHEMA,
      uri: destination.toString(),
      types: new Set(parsed.types),
      ...parsed.buffering,
      batch: [],
      bytes: 0,
      timer: undefined,
      sending: Promise.resolve(),
    };
    this.subscribers.set(extensionId, sub);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('OK');
    for (const { category, event } of this.backlog ?? []) if (sub.types.has(category)) this.enqueue(sub, event);
    this.platform('platform.telemetrySubscription', { name: extensionName, state: 'Subscribed', types: parsed.types });
  }
}

/** The event as a subscriber of a schema before 2025-01-29 gets it: the same, without the record's tenantId. */
function withoutTenant(event: TelemetryEvent): TelemetryEvent {
  const record = event.record;
  if (record === null || typeof record !== 'object' || !('tenantId' in record)) return event;
  const { tenantId: _dropped, ...rest } = record as Record<string, unknown>;
  return { ...event, record: rest };
}
