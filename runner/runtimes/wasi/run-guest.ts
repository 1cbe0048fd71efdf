// A `run` worker thread: holds compiled components and runs one invocation at a time in a fresh instance (or
// the function's kept instance when it opted into reuse). Everything the guest writes is posted as lines while
// it runs, so a guest that then loops forever still leaves its output in the log.
import { pathToFileURL } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import type { FromWorker, GuestResult, GuestSettings, RunRequest, ToWorker } from './messages.ts';
import { GuestExit, guestImports, type GuestOutput } from './guest-imports.ts';
import { exchangeOutcome, incomingExchange } from './guest-http.ts';
import { NotAnHttpEventError, requestFromEvent, resultFromResponse } from './http-event.ts';
import { GROW_PAST_MEMORY_SIZE } from './grow-or-trap.ts';
import { openHostChannel } from './capabilities/host-call.ts';
import {
  RUNTIME_EXIT_ERROR,
  RUNTIME_INVALID_EVENT,
  RUNTIME_INVALID_RESPONSE,
  RUNTIME_OUT_OF_MEMORY,
  RUNTIME_UNKNOWN,
  RUNTIME_WASM_TRAP,
} from '../../lambda-errors.ts';

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
) => unknown;

interface Compiled {
  instantiate: Instantiate;
  modules: Record<string, WebAssembly.Module>;
}

/** An instance and the memories of its core instances (for Max Memory Used and out-of-memory detection). */
interface Live {
  key: string;
  settings: string;
  exports: Record<string, unknown>;
  memories: WebAssembly.Memory[];
  output: SwitchableOutput;
}

const compiled = new Map<string, Compiled>();
/** Instances kept for functions that opted into reuse, by function name. */
const kept = new Map<string, Live>();
const MIB = 1024 * 1024;

export function serveInvocations(port: MessagePort): void {
  port.on('message', (message: ToWorker) => {
    if (message.type === 'forget') {
      for (const [name, live] of kept) {
        if (name === message.functionName || live.key === message.key) kept.delete(name);
      }
      if (message.key) compiled.delete(message.key);
      return;
    }
    void runInvocation(port, message).catch((error: unknown) => {
      // Only a bug in this file gets here; the invocation still gets an answer.
      post(port, {
        type: 'result',
        id: message.id,
        result: { ok: false, errorType: RUNTIME_UNKNOWN, errorMessage: `The runner failed while running the component: ${String(error)}` },
        memoryBytes: 0,
        instantiated: false,
        kept: false,
      });
    });
  });
  post(port, { type: 'ready', ...openHostChannel() });
}

function post(port: MessagePort, message: FromWorker): void {
  port.postMessage(message, message.type === 'ready' && message.hostPort ? [message.hostPort] : []);
}

/** Splits an invocation's output into lines and posts them; a reused instance writes to the current invocation. */
class LineWriter {
  private readonly port: MessagePort;
  private readonly id: number;
  private readonly partial = { stdout: '', stderr: '' };
  private readonly decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  /** The end of stderr, to recognise an engine's "out of memory" message. */
  stderrTail = '';
  constructor(port: MessagePort, id: number) {
    this.port = port;
    this.id = id;
  }
  write(stream: 'stdout' | 'stderr', bytes: Uint8Array): void {
    const text = this.partial[stream] + this.decoders[stream].decode(bytes, { stream: true });
    const lines = text.split('\n');
    this.partial[stream] = lines.pop()!;
    for (const line of lines) this.line(stream, line.replace(/\r$/, ''));
    // A guest printing without newlines still shows up, in pieces.
    if (this.partial[stream].length > 64 * 1024) {
      this.line(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
  }
  line(stream: 'stdout' | 'stderr', line: string): void {
    if (stream === 'stderr') this.stderrTail = (this.stderrTail + line + '\n').slice(-4096);
    post(this.port, { type: 'output', id: this.id, stream, line });
  }
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream] + this.decoders[stream].decode();
      if (rest) this.line(stream, rest);
      this.partial[stream] = '';
    }
  }
}

class SwitchableOutput implements GuestOutput {
  writer: LineWriter | undefined;
  deadlineMs = 0;
  timeLeftMs(): number {
    return this.deadlineMs - Date.now();
  }
  write(stream: 'stdout' | 'stderr', bytes: Uint8Array): void {
    this.writer?.write(stream, bytes);
  }
  notice(line: string): void {
    this.writer?.line('stderr', line);
  }
}

async function load(request: RunRequest): Promise<Compiled> {
  const { key, glueUrl, modules } = request.component;
  let entry = compiled.get(key);
  if (!entry) {
    if (!modules) throw new Error(`the compiled component ${key} was not sent to this worker`);
    const glue = (await import(glueUrl.startsWith('file:') ? glueUrl : pathToFileURL(glueUrl).href)) as { instantiate: Instantiate };
    entry = { instantiate: glue.instantiate, modules };
    compiled.set(key, entry);
  }
  return entry;
}

function instantiate(component: Compiled, key: string, settings: GuestSettings): Live {
  const output = new SwitchableOutput();
  const memories: WebAssembly.Memory[] = [];
  const imports = guestImports(settings, output);
  const result = component.instantiate(
    (name) => {
      const module = component.modules[name];
      if (!module) throw new Error(`core module ${name} is missing from the compiled component`);
      return module;
    },
    imports,
    (module, coreImports) => {
      // Synchronous instantiation: the modules are compiled already, and a fresh instance costs less this way.
      const instance = new WebAssembly.Instance(module, coreImports);
      for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.push(value);
      return instance;
    },
  );
  if (result instanceof Promise) throw new Error('the component instantiated asynchronously; this runner instantiates synchronously');
  return { key, settings: JSON.stringify(settings), exports: result as Record<string, unknown>, memories, output };
}

function memoryBytes(live: Live | undefined): number {
  if (!live) return 0;
  return live.memories.reduce((sum, m) => sum + m.buffer.byteLength, 0);
}

async function runInvocation(port: MessagePort, request: RunRequest): Promise<void> {
  const { settings } = request;
  const writer = new LineWriter(port, request.id);
  const finish = (result: GuestResult, live: Live | undefined, instantiated: boolean) => {
    writer.flush();
    if (live) live.output.writer = undefined;
    const stays = !!live && kept.get(settings.functionName) === live;
    post(port, { type: 'result', id: request.id, result, memoryBytes: memoryBytes(live), instantiated, kept: stays });
  };

  let httpRequest: ReturnType<typeof requestFromEvent> | undefined;
  if (settings.world === 'http') {
    try {
      httpRequest = requestFromEvent(JSON.parse(request.payload));
    } catch (error) {
      const message = error instanceof NotAnHttpEventError ? error.message : `The event is not JSON: ${String(error)}`;
      return finish({ ok: false, errorType: RUNTIME_INVALID_EVENT, errorMessage: message }, undefined, false);
    }
  }

  const component = await load(request);
  const key = request.component.key;
  let live = settings.reuseInstance ? kept.get(settings.functionName) : undefined;
  if (live && (live.key !== key || live.settings !== JSON.stringify(settings))) live = undefined;
  let instantiated = false;
  if (!live) {
    try {
      live = instantiate(component, key, settings);
      instantiated = true;
    } catch (error) {
      return finish(failure(error, undefined, settings, writer, 'while starting'), undefined, true);
    }
  }
  live.output.writer = writer;
  live.output.deadlineMs = request.deadlineMs;

  const handlerExport = exportNamed(live.exports, settings.exportName);
  try {
    let body: string;
    if (httpRequest) {
      const exchange = incomingExchange(httpRequest);
      (handlerExport as { handle(request: unknown, outparam: unknown): void }).handle(exchange.request, exchange.outparam);
      const outcome = exchangeOutcome(exchange);
      if (!outcome.ok) {
        // The guest answered badly but did not trap: its instance is as usable as after a typed error.
        if (settings.reuseInstance) kept.set(settings.functionName, live);
        finish({ ok: false, errorType: RUNTIME_INVALID_RESPONSE, errorMessage: outcome.reason }, live, instantiated);
        return;
      }
      body = JSON.stringify(resultFromResponse(outcome.response, httpRequest.version));
    } else if (settings.world === 'middleware') {
      // A hook of a component middleware: its answer variant ({tag, val}) goes back as JSON.
      const context = { requestId: request.requestId, functionName: settings.functionName, deadlineMs: BigInt(request.deadlineMs) };
      const input: unknown = settings.exportName === 'onError' ? JSON.parse(request.payload) : request.payload;
      body = JSON.stringify((handlerExport as (input: unknown, context: unknown) => unknown)(input, context));
    } else {
      const context = {
        requestId: request.requestId,
        deadlineMs: BigInt(request.deadlineMs),
        functionName: settings.functionName,
        invokedFunctionArn: settings.functionArn,
        memoryLimitMb: settings.memorySizeMB,
        clientContext: request.clientContext,
      };
      body = (handlerExport as { handle(event: string, context: unknown): string }).handle(request.payload, context);
    }
    if (settings.reuseInstance) kept.set(settings.functionName, live);
    finish({ ok: true, body }, live, instantiated);
  } catch (error) {
    const typed = typedError(error);
    // A guest's own error leaves the instance usable; after a trap or exit it can't be entered again. (Only
    // this instance goes: a middleware's trap leaves the function's kept instance alone.)
    if (typed && settings.reuseInstance) kept.set(settings.functionName, live);
    else if (kept.get(settings.functionName) === live) kept.delete(settings.functionName);
    finish(typed ?? failure(error, live, settings, writer), live, instantiated);
  }
}

function exportNamed(exports: Record<string, unknown>, name: string): unknown {
  if (exports[name]) return exports[name];
  const bare = name.replace(/@.*$/, '');
  const match = Object.keys(exports).find((k) => k.replace(/@.*$/, '') === bare);
  return match ? exports[match] : undefined;
}

/** A guest's `function-error`, which the glue throws as the bare record (or wrapped, in other jco versions). */
function typedError(error: unknown): GuestResult | undefined {
  const value = error instanceof Error && 'payload' in error ? (error as { payload: unknown }).payload : error;
  if (!value || typeof value !== 'object' || value instanceof Error) return undefined;
  const { errorType, errorMessage } = value as { errorType?: unknown; errorMessage?: unknown };
  if (typeof errorType !== 'string' || typeof errorMessage !== 'string') return undefined;
  return { ok: false, errorType: errorType || 'Error', errorMessage };
}

function failure(error: unknown, live: Live | undefined, settings: GuestSettings, writer: LineWriter, phase = ''): GuestResult {
  const during = phase ? ` ${phase}` : '';
  if (error instanceof GuestExit) {
    return {
      ok: false,
      errorType: RUNTIME_EXIT_ERROR,
      errorMessage: `The component called exit (${error.status})${during} instead of returning. The runner discarded the instance and keeps serving; return a result or a function-error instead of exiting.`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const capBytes = settings.memorySizeMB * MIB;
  const used = memoryBytes(live);
  const trap = error instanceof WebAssembly.RuntimeError;
  // The trap of a memory.grow past the cap (grow-or-trap.ts), named in the stack; or an engine that said so itself.
  const grewPast = trap && (error.stack ?? '').includes(GROW_PAST_MEMORY_SIZE);
  if (grewPast) {
    return {
      ok: false,
      errorType: RUNTIME_OUT_OF_MEMORY,
      errorMessage: `The component ran out of memory${during}: it grew its linear memory past the ${settings.memorySizeMB} MB its MemorySize allows (it had ${Math.ceil(used / MIB)} MB). Raise MemorySize or make it use less.`,
    };
  }
  if (/out of memory/i.test(`${message}\n${writer.stderrTail}`) || (trap && used >= capBytes * 0.875)) {
    return {
      ok: false,
      errorType: RUNTIME_OUT_OF_MEMORY,
      errorMessage: `The component ran out of memory${during}: its linear memory reached ${Math.ceil(used / MIB)} MB of the ${settings.memorySizeMB} MB its MemorySize allows (${message}). Raise MemorySize or make it use less.`,
    };
  }
  const stackTrace =
    error instanceof Error && error.stack
      ? error.stack
          .split('\n')
          .filter((l) => l.includes('wasm://') || l.includes('wasm-function'))
          .map((l) => l.trim())
      : [];
  const what = trap || error instanceof RangeError ? 'trapped' : 'failed';
  return {
    ok: false,
    errorType: RUNTIME_WASM_TRAP,
    errorMessage: `The component ${what}${during}: ${message}.`,
    ...(stackTrace.length ? { stackTrace } : {}),
  };
}
