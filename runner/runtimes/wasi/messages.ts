// Messages between the runner's main thread and the worker threads that prepare and run components.
// Types only: both sides import this file.

/** What a worker does: `prepare` transpiles one component and exits; `run` serves invocations until terminated. */
export type WorkerRole = 'prepare' | 'run';

export interface PrepareRequest {
  /** The component's bytes. */
  bytes: Uint8Array;
  /** Where the transpiled files go (a folder named after the content hash). */
  outDir: string;
}

export type PrepareResult = { ok: true; wit: string; coreFiles: string[]; glue: string } | { ok: false; stage: 'wit' | 'transpile'; message: string };

/** Everything a run worker needs to know about the function, besides the compiled component. */
export interface GuestSettings {
  functionName: string;
  functionArn: string;
  memorySizeMB: number;
  /** `middleware`: a component middleware (wit/middleware/middleware.wit); `exportName` is the hook's export. */
  world: 'handler' | 'http' | 'middleware';
  /** The export that serves the world, as the transpiled component names it (e.g. `wasi:http/incoming-handler@0.2.10`, `onError`). */
  exportName: string;
  reuseInstance: boolean;
  environment: Record<string, string>;
  /** Absolute host directory -> guest path. */
  preopens: Array<{ host: string; guest: string; readOnly: boolean }>;
  allowedHosts: string[];
  /** Key-value stores, configuration and messaging the function was granted, and who serves each. */
  capabilities: GuestCapabilities;
}

/** A program serving a capability over PROVIDERS.md's line protocol; one long-lived process per command and folder. */
export interface ExecProvider {
  kind: 'exec';
  /** How errors name it: the command line as the template wrote it. */
  name: string;
  command: string[];
  cwd: string;
  /** The longest one call may take. */
  timeoutMs: number;
}

export interface GuestCapabilities {
  /** Store name (what the guest passes to `open`) -> its SQLite file (built-in provider) or a program. */
  keyValue: Record<string, { kind: 'local'; file: string } | ExecProvider>;
  config?: { kind: 'local'; values: Record<string, string> } | ExecProvider;
  /** Local: each subject invokes a function of the runner. */
  messaging?: { kind: 'local'; subjects: Record<string, string> } | ExecProvider;
}

/** One call from a guest to a capability served on the main thread (PROVIDERS.md's request, plus who serves it). */
export interface HostCall {
  id: number;
  /** Absent for the built-in messaging provider (local functions). */
  provider?: ExecProvider;
  capability: 'keyvalue' | 'config' | 'messaging';
  op: string;
  args: Record<string, unknown>;
  /** The function invoked on this subject (built-in messaging). */
  target?: string;
  timeoutMs: number;
}

export type HostAnswer = { id: number; ok: true; result: Record<string, unknown> } | { id: number; ok: false; error: string };

export interface LoadedComponent {
  /** Content hash + memory cap: one compiled set of core modules. */
  key: string;
  /** file:// URL of the transpiled glue (component.js). */
  glueUrl: string;
  /** Compiled core modules by file name; sent once per worker. */
  modules?: Record<string, WebAssembly.Module>;
}

export interface RunRequest {
  type: 'run';
  id: number;
  component: LoadedComponent;
  settings: GuestSettings;
  /** The event as JSON text; for a middleware's on-error hook, its error-info record as JSON. */
  payload: string;
  requestId: string;
  deadlineMs: number;
  clientContext: string | undefined;
}

export interface ForgetRequest {
  type: 'forget';
  /** Drop instances of this function and, when given, the compiled component with this key. */
  functionName?: string;
  key?: string;
}

export type ToWorker = RunRequest | ForgetRequest;

export type GuestResult = { ok: true; body: string } | { ok: false; errorType: string; errorMessage: string; stackTrace?: string[] };

export type FromWorker =
  /** `hostPort`: where the worker's host calls arrive; the main thread answers there, then wakes it through `signal`. */
  | { type: 'ready'; hostPort?: import('node:worker_threads').MessagePort; signal?: Int32Array }
  | { type: 'output'; id: number; stream: 'stdout' | 'stderr'; line: string }
  | {
      type: 'result';
      id: number;
      result: GuestResult;
      memoryBytes: number;
      instantiated: boolean /** The instance stays for the function's next invocation. */;
      kept: boolean;
    };
