// Lambda's handler setting (`src/app.handler`, `index.handlers.main`, `pkg.jobs.nightly.run`) read the way each
// runtime reads it. The Node and Python runtimes split it differently, and every part of Open Runtime that needs the
// module or the export (the Node client, TypeScript compiling, build, package checks, discovery, inference, the
// editor's CodeLenses) asks this file, so a handler that runs here also builds, deploys and runs in Lambda.
//
// Node (aws-lambda-nodejs-runtime-interface-client, handler-path / UserFunction): the folder is everything up to the
// last '/'; in the rest the module ends at the FIRST dot and the export is everything after it, a path of nested
// properties (`index.handlers.main` is `handlers.main` in index.js). `..` anywhere is refused.
// Python (awslambdaric bootstrap `_get_handler`): `handler.rsplit(".", 1)`: the function is after the LAST dot, the
// module before it with '/' read as '.' (`pkg/jobs.nightly.run` is module pkg.jobs.nightly, file pkg/jobs/nightly.py).
//
// Both runtimes fail later (module or export not found) on an empty module or export such as `.handler` or `app.`;
// here those are malformed at once, since no file or function can have an empty name.
import { RUNTIME_MALFORMED_HANDLER_NAME } from '../lambda-errors.ts';

/** The runtimes that read a handler setting as FILE.EXPORT; the others pass it on untouched. */
export type HandlerFamily = 'node' | 'python';

export interface ParsedHandler {
  /** The module as a path from the task root without extension: `src/app`, or `pkg/jobs/nightly` for Python. */
  modulePath: string;
  /** Node: the export's property path (`handler`, `handlers.main`); Python: the function's name. */
  exportPath: string;
}

/** A handler setting the runtime would refuse; `name` is Lambda's error type, so the Node client can report it as is. */
export class MalformedHandlerError extends Error {
  override name = RUNTIME_MALFORMED_HANDLER_NAME;
}

export function parseHandler(setting: string, family: HandlerFamily): ParsedHandler {
  return family === 'node' ? parseNodeHandler(setting) : parsePythonHandler(setting);
}

/** The parsed handler, or undefined when the runtime would refuse it (for callers that only look things up). */
export function tryParseHandler(setting: string, family: HandlerFamily): ParsedHandler | undefined {
  try {
    return parseHandler(setting, family);
  } catch (err) {
    if (err instanceof MalformedHandlerError) return undefined;
    throw err;
  }
}

function parseNodeHandler(setting: string): ParsedHandler {
  if (setting.includes('..')) {
    throw new MalformedHandlerError(`'${setting}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const slash = setting.lastIndexOf('/');
  const last = setting.slice(slash + 1);
  const dot = last.indexOf('.');
  if (dot <= 0 || dot === last.length - 1) {
    throw new MalformedHandlerError(`Bad handler '${setting}': the handler must be FILE.EXPORT, such as index.handler or src/app.handler.`);
  }
  return { modulePath: setting.slice(0, slash + 1) + last.slice(0, dot), exportPath: last.slice(dot + 1) };
}

function parsePythonHandler(setting: string): ParsedHandler {
  const dot = setting.lastIndexOf('.');
  const module = setting.slice(0, Math.max(dot, 0)).replace(/\//g, '.');
  const modulePath = module.split('.').filter(Boolean).join('/');
  if (dot < 0 || !modulePath || dot === setting.length - 1) {
    throw new MalformedHandlerError(`Bad handler '${setting}': the handler must be MODULE.FUNCTION, such as app.handler or pkg.module.handler.`);
  }
  return { modulePath, exportPath: setting.slice(dot + 1) };
}

/**
 * The handler setting naming `exportPath` in the module at `modulePath` (`src/app`), or undefined when the runtime
 * would read that setting as something else (a Node file stem with a dot, a Python folder with one).
 */
export function handlerSetting(modulePath: string, exportPath: string, family: HandlerFamily): string | undefined {
  const setting = `${modulePath}.${exportPath}`;
  const parsed = tryParseHandler(setting, family);
  return parsed && parsed.modulePath === modulePath && parsed.exportPath === exportPath ? setting : undefined;
}
