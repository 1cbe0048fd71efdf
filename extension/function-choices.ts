// When several template functions share one handler (HelloTs and HelloGuarded both run hello-ts/app.ts), the
// handler carries one "Invoke with event" / "Debug" row and the user picks the function after the click. This file
// is the vscode-free part: the order of the choices (the last one picked for this handler first) and what each
// choice shows (its name, the project it belongs to, what triggers it), so it can be tested on its own.
import * as path from 'node:path';
import { triggerName } from '../runner/events/for-function.ts';
import type { FunctionSpec } from '../runner/functions/model.ts';

export interface FunctionChoice {
  readonly fn: FunctionSpec;
  readonly label: string;
  readonly description: string;
  readonly detail: string;
  readonly lastUsed: boolean;
}

/** The key the last choice is remembered under: the handler's file and export, so each handler remembers its own. */
export function handlerKey(file: string, exportName: string | undefined): string {
  return `${path.resolve(file)}#${exportName ?? ''}`;
}

/** The functions in the order offered: the last one chosen for this handler first, the others as the template lists them. */
export function orderChoices(functions: readonly FunctionSpec[], workspaceRoot: string, lastChosen: string | undefined): FunctionChoice[] {
  const choices = functions.map((fn) => describeChoice(fn, workspaceRoot, fn.name === lastChosen));
  return [...choices.filter((c) => c.lastUsed), ...choices.filter((c) => !c.lastUsed)];
}

function describeChoice(fn: FunctionSpec, workspaceRoot: string, lastUsed: boolean): FunctionChoice {
  const definedIn = fn.source ? path.relative(workspaceRoot, fn.source.file) || path.basename(fn.source.file) : 'inferred from the handler';
  const triggers = fn.triggers?.length ? [...new Set(fn.triggers.map(triggerName))].join(', ') : 'no trigger declared';
  return {
    fn,
    label: fn.path ?? fn.name,
    description: `${lastUsed ? 'last used · ' : ''}${definedIn}`,
    detail: `${triggers} · ${fn.runtime}${fn.middlewares.length ? ` · middlewares: ${fn.middlewares.join(', ')}` : ''}`,
    lastUsed,
  };
}
