// Lambda's log format for console.*: one record per call, `<ISO time>\t<requestId>\t<LEVEL>\t<util.format(...)>`,
// newlines inside a record turned into \r so a multi-line message (a stack trace, a pretty-printed object)
// stays one record. AWS_LAMBDA_LOG_FORMAT=JSON and AWS_LAMBDA_LOG_LEVEL behave as in Lambda.
import { format } from 'node:util';
import { formatErrorForLog, intoError } from './errors.ts';

interface Level {
  name: string;
  priority: number;
}

const LEVELS: Record<string, Level> = {
  TRACE: { name: 'TRACE', priority: 1 },
  DEBUG: { name: 'DEBUG', priority: 2 },
  INFO: { name: 'INFO', priority: 3 },
  WARN: { name: 'WARN', priority: 4 },
  ERROR: { name: 'ERROR', priority: 5 },
  FATAL: { name: 'FATAL', priority: 6 },
};

/** Lambda's runtime publishes the current id under this symbol; some tools read it. */
const REQUEST_ID_SYMBOL = Symbol.for('aws.lambda.runtime.requestId');

// Before the first invoke Lambda's Node runtime prints `undefined` in the request id column.
let currentRequestId: string | undefined;
let currentTenantId: string | undefined;

export function setLogRequestId(requestId: string | undefined, tenantId: string | undefined): void {
  currentRequestId = requestId;
  currentTenantId = tenantId;
  (globalThis as Record<symbol, unknown>)[REQUEST_ID_SYMBOL] = requestId;
}

type LogLine = (level: Level, message: unknown, params: unknown[]) => void;

const writeText: LogLine = (level, message, params) => {
  const text = params.length === 0 && typeof message === 'string' ? message : format(message, ...params);
  // Only the message can hold a line break (the request id comes from a header, which cannot).
  process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level.name}\t${text.includes('\n') ? text.replace(/\n/g, '\r') : text}\n`);
};

function errorFieldsForJson(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return Object.assign(
    {
      errorType: value.constructor?.name ?? 'UnknownError',
      errorMessage: value.message,
      stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
    },
    value,
  );
}

const writeJson: LogLine = (level, message, params) => {
  const record: Record<string, unknown> = {
    timestamp: new Date().toISOString(),
    level: level.name,
    requestId: currentRequestId,
  };
  if (currentTenantId) record.tenantId = currentTenantId;
  let line: string;
  if (params.length === 0) {
    record.message = message;
    try {
      line = JSON.stringify(record, errorFieldsForJson);
    } catch {
      record.message = format(message);
      line = JSON.stringify(record);
    }
  } else {
    record.message = format(message, ...params);
    const error = params.find((p) => p instanceof Error) as Error | undefined;
    if (error) {
      record.errorType = error.constructor?.name ?? 'UnknownError';
      record.errorMessage = error.message;
      record.stackTrace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
    }
    line = JSON.stringify(record);
  }
  process.stdout.write(line.replace(/\n/g, '\r') + '\n');
};

let jsonFormat = false;

/** Replace console.* with Lambda's record writers. Everything goes to stdout, as in Lambda. */
export function patchConsole(): void {
  jsonFormat = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const write = jsonFormat ? writeJson : writeText;
  const minimum = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() ?? ''] ?? LEVELS.TRACE!;
  const writer = (level: Level) => (level.priority >= minimum.priority ? (message?: unknown, ...params: unknown[]) => write(level, message, params) : () => {});
  const target = console as unknown as Record<string, unknown>;
  target.trace = writer(LEVELS.TRACE!);
  target.debug = writer(LEVELS.DEBUG!);
  target.info = writer(LEVELS.INFO!);
  target.log = target.info;
  target.warn = writer(LEVELS.WARN!);
  target.error = writer(LEVELS.ERROR!);
  target.fatal = (message?: unknown, ...params: unknown[]) => write(LEVELS.FATAL!, message, params);
}

/** `Invoke Error`, `Uncaught Exception` ...: the lines Lambda's runtime writes when something fails. */
export function logRuntimeError(what: string, error: unknown): void {
  const err = intoError(error);
  if (jsonFormat) console.error(err);
  else console.error(what, formatErrorForLog(err));
}
