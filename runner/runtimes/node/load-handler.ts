// Finds and imports the function's handler the way Lambda's Node runtime does, turning every way that can fail
// into Lambda's init error types (Runtime.ImportModuleError, Runtime.HandlerNotFound, Runtime.UserCodeSyntaxError,
// Runtime.MalformedHandlerName, Runtime.CallbackHandlerDeprecated).
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { missingSdkAdvice } from './aws-sdk.ts';
import { callbackHandlerDeprecatedError, handlerNotFoundError, importModuleError, malformedStreamingHandlerError, userCodeSyntaxError } from './errors.ts';
import { parseHandler } from '../../functions/handler.ts';

// The symbols `awslambda.streamifyResponse` marks a handler with; libraries set them directly too.
export const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');

export type Handler = (...args: unknown[]) => unknown;

export interface LoadedHandler {
  handler: Handler;
  streaming: boolean;
  highWaterMark: number | undefined;
  /** Declared `async`: a never-settled promise is then an error rather than a `null` result. */
  isAsync: boolean;
}

const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs'];

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `<task root>/<module>.js|.mjs|.cjs`, else Node's own resolution from the task root (packages, folders). */
function findModuleFile(taskRoot: string, modulePath: string): string {
  const base = resolve(taskRoot, modulePath);
  for (const extension of MODULE_EXTENSIONS) {
    if (isFile(base + extension)) return base + extension;
  }
  try {
    const requireFromRoot = createRequire(join(taskRoot, 'noop.js'));
    return requireFromRoot.resolve(basename(modulePath), { paths: [taskRoot, resolve(taskRoot, modulePath, '..')] });
  } catch {
    throw importModuleError(
      `Error: Cannot find module '${modulePath}'. Looked for ${base}.js, .mjs and .cjs: check the function's handler ` +
        `setting (FILE.EXPORT) and that its code is built into ${taskRoot}.`,
    );
  }
}

/**
 * Where a syntax error is, as `file:line`. CommonJS errors carry it on the first line of their stack; ES module
 * errors do not, so ask `node --check` about the handler file (only on this failure path).
 */
function locateSyntaxError(error: SyntaxError, file: string): string | undefined {
  const first = error.stack?.split('\n', 1)[0] ?? '';
  if (/^.+:\d+$/.test(first)) return first;
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // never start a debugger or a loader for this check
  // Loaded here rather than at the top: child_process costs every cold start about a millisecond.
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const check = spawnSync(process.execPath, ['--check', file], { env, encoding: 'utf8', timeout: 5_000 });
  const location = check.stderr?.split('\n', 1)[0] ?? '';
  return /^.+:\d+$/.test(location) ? location : undefined;
}

async function importUserModule(file: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof SyntaxError) throw userCodeSyntaxError(error, locateSyntaxError(error, file));
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      const advice = missingSdkAdvice(String(error), process.env.LAMBDA_TASK_ROOT || process.cwd());
      throw importModuleError(advice ? `${String(error)}\n${advice}` : String(error));
    }
    // Anything else thrown while the module initialises is reported as it is, like Lambda does.
    throw error;
  }
}

function findExport(exportPath: string, container: unknown): unknown {
  let value = container;
  for (const key of exportPath.split('.')) {
    value = value !== null && (typeof value === 'object' || typeof value === 'function') ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/**
 * @param setting `_HANDLER`, e.g. `src/app.handler`.
 * @param moduleFile when set (OPEN_RUNTIME_HANDLER_MODULE: a compiled TypeScript handler), the module to load in
 *   place of the setting's; the export is the setting's all the same.
 */
export async function loadHandler(taskRoot: string, setting: string, moduleFile: string | undefined): Promise<LoadedHandler> {
  // A malformed setting throws Runtime.MalformedHandlerName, the error's name, as the Node runtime does.
  const { modulePath, exportPath } = parseHandler(setting, 'node');
  let file: string;
  if (moduleFile) {
    if (!isFile(moduleFile)) {
      throw importModuleError(`Error: Cannot find module '${moduleFile}', the compiled form of '${modulePath}'. Rebuild the function and invoke it again.`);
    }
    file = moduleFile;
  } else {
    file = findModuleFile(taskRoot, modulePath);
  }

  const module = await importUserModule(file);
  let handler = findExport(exportPath, module);
  // CommonJS modules whose exports Node cannot detect statically only show up under `default`.
  if (handler === undefined && module.default !== undefined) handler = findExport(exportPath, module.default);
  if (handler === undefined || handler === null) {
    throw handlerNotFoundError(`${setting} is undefined or not exported. Export a function named '${exportPath}' from ${file}.`);
  }
  if (typeof handler !== 'function') {
    throw handlerNotFoundError(`${setting} is not a function. '${exportPath}' in ${file} is a ${typeof handler}; export the handler function itself.`);
  }

  const marked = handler as Handler & Record<symbol, unknown>;
  const streamingMark = marked[HANDLER_STREAMING];
  if (streamingMark !== undefined && streamingMark !== null && streamingMark !== false && streamingMark !== 'response') {
    throw malformedStreamingHandlerError('Only response streaming is supported.');
  }
  const highWaterMark = Number.parseInt(String(marked[HANDLER_HIGHWATERMARK]), 10);
  return {
    handler: handler as Handler,
    streaming: streamingMark === 'response',
    highWaterMark: Number.isNaN(highWaterMark) ? undefined : highWaterMark,
    isAsync: handler.constructor?.name === 'AsyncFunction',
  };
}

/**
 * Lambda's nodejs24.x runtime (and nodejs22.x with managed instances) refuses callback-style handlers at init;
 * reproduce that so a function that works here does not fail after deployment.
 */
export function checkCallbackHandlerSupported(loaded: LoadedHandler, env: NodeJS.ProcessEnv): void {
  if (loaded.streaming || loaded.handler.length < 3) return;
  const major = Number(/^AWS_Lambda_nodejs(\d+)/.exec(env.AWS_EXECUTION_ENV ?? '')?.[1]);
  if (major >= 24) {
    throw callbackHandlerDeprecatedError(
      'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to ' +
        'modify this function to use a supported handler signature to use Node.js 24 or later. For more information see ' +
        'https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
    );
  }
  if (major === 22 && env.AWS_LAMBDA_MAX_CONCURRENCY !== undefined) {
    throw callbackHandlerDeprecatedError(
      'ERROR: AWS Lambda does not support callback-based function handlers when using Node.js 22 with Managed Instances. ' +
        'To use Managed Instances, modify this function to use a supported handler signature. For more information see ' +
        'https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
    );
  }
}
