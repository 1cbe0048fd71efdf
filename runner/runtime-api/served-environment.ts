// What the Runtime API layer needs of the execution environment it serves: the routes (runtime.ts on TCP, direct.ts on
// the Unix socket), the Extensions API and the Telemetry API each get an interface that environments/environment.ts
// implements. The API layer depends on these, not on the environment's module, so runtime-api/ and environments/ no
// longer import each other (only environments/ imports runtime-api/).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Invocation, Outcome } from '../environments/invocation.ts';
import type { FunctionSpec } from '../functions/model.ts';

/** A runtime's parked `GET /next`, whichever address it came to (node:http on TCP, or the direct socket). */
export interface NextRequest {
  /** Answers with the event: 200, these headers, the payload. */
  send(headers: Record<string, string | number>, payload: Buffer): void;
  /** Calls back once if the request goes away unanswered (its connection closed). */
  onGone(callback: () => void): void;
  /**
   * After `send`: the runtime closed the connection without reading the event (the kernel resets a connection closed
   * with unread bytes). Known once the runner has read from the connection after the runtime exited.
   */
  unread(): boolean;
  destroy(): void;
}

export interface ServedEnvironment {
  /** `GET /next`: parks until there is an event for the runtime. */
  onNext(next: NextRequest): void;
  /**
   * The invocation a POST names, or why it cannot be answered ('foreign': another environment holds it; 'timed-out':
   * the attempt `invocationId` names timed out).
   */
  claim(requestId: string, invocationId?: string): Invocation | 'unknown' | 'answered' | 'foreign' | 'timed-out';
  /** The runtime answered; the caller gets `outcome`. */
  answer(inv: Invocation, outcome: Outcome): void;
  /** Whether `/runtime/init/error` is a valid move now (only during init). */
  acceptsInitError(): boolean;
  /** Init failed: the pending invoke gets the error and the environment is discarded. */
  initFailed(errorType: string, body: Buffer): void;
  /** Keeps a new connection to its Runtime API if one of its own processes made it; refuses it otherwise. */
  admit(socket: Socket, via: 'tcp' | 'unix'): boolean;
  readonly extensions: {
    readonly count: number;
    handle(req: IncomingMessage, res: ServerResponse, route: string): Promise<void>;
  };
  readonly telemetry: {
    handle(req: IncomingMessage, res: ServerResponse, extensionId: string | undefined, fromExtension: boolean): Promise<void>;
  };
}

/** What the Extensions API (extensions.ts) needs of its environment. */
export interface ExtensionsEnvironment {
  readonly fn: FunctionSpec;
  readonly debugging: boolean;
  readonly state: 'initializing' | 'idle' | 'busy' | 'stopping';
  /** The invocation it holds. */
  readonly current: Invocation | undefined;
  /** Its processes were killed for passing MemorySize: an extension's exit is not a crash of its own then. */
  readonly stoppedForMemory: boolean;
  readonly telemetry: { extensionLog(name: string, line: string): void };
  /** A line in the function's log stream. */
  platformLog(line: string): void;
  initFailed(errorType: string, body: Buffer): void;
  answer(inv: Invocation, outcome: Outcome): void;
  stop(reason: 'spindown' | 'timeout' | 'failure'): Promise<void>;
  /** An extension became ready: the runtime's event may go now. */
  deliverIfReady(): void;
}

/** What the Telemetry API (telemetry.ts) needs of its environment. */
export interface TelemetryEnvironment {
  readonly extensions: { nameOf(id: string): string | undefined };
  platformLog(line: string): void;
}
