// Values for a template's parameters that the person gave once, kept in the workspace so the editor and the CLI
// run the same functions: `.open-runtime/parameters.json`, keyed by the template's path in the workspace
// (`{ "sam-app/template.yaml": { "Stage": "dev" } }`), because two projects side by side may both declare a
// `Stage` with different values. The editor writes it (it asks for a parameter without a Default once); discovery
// reads it for every template of the workspace.
//
// Precedence: --parameter-overrides > samconfig parameter_overrides > this file > the template's Default.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { writeAtomically } from '../events/saved.ts';
import type { DefinitionError } from '../protocol.ts';
import { asRecord } from './intrinsics.ts';
import { parseYaml, entriesOf, entryOf } from './read-yaml.ts';

export const PARAMETERS_FILE = join('.open-runtime', 'parameters.json');

export type SavedParameters = Record<string, Record<string, string>>;

/** The saved values, or a problem naming the file when it is not the expected JSON (discovery goes on without them). */
export function readSavedParameters(workspaceDir: string): { parameters: SavedParameters; problem?: DefinitionError } {
  const file = join(resolve(workspaceDir), PARAMETERS_FILE);
  if (!existsSync(file)) return { parameters: {} };
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return {
      parameters: {},
      problem: {
        file,
        line: 0,
        message: `${file} is not valid JSON (${(error as Error).message}), so its parameter values are not used. Fix it, or set the values again with "Open Runtime: Set Template Parameters...".`,
      },
    };
  }
  const parameters: SavedParameters = {};
  for (const [template, values] of Object.entries(asRecord(data))) {
    if (!values || typeof values !== 'object' || Array.isArray(values)) {
      return {
        parameters: {},
        problem: {
          file,
          line: 0,
          message: `${file} has "${template}" that is not an object of parameter values; write it as { "${template}": { "Stage": "dev" } }.`,
        },
      };
    }
    parameters[template] = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  }
  return { parameters };
}

/** How a template is named in the file: its path in the workspace, with forward slashes on every system. */
export function templateKey(workspaceDir: string, templateFile: string): string {
  return relative(resolve(workspaceDir), resolve(templateFile)).split(sep).join('/');
}

/** The saved values of one template's parameters. */
export function savedParametersOf(saved: SavedParameters, workspaceDir: string, templateFile: string): Record<string, string> {
  return saved[templateKey(workspaceDir, templateFile)] ?? {};
}

/** Saves one value (replacing an earlier one), keeping the others; returns the file written. */
export async function saveParameter(workspaceDir: string, templateFile: string, name: string, value: string): Promise<string> {
  if (!/^[A-Za-z0-9]+$/.test(name)) throw new Error(`"${name}" is not a CloudFormation parameter name (letters and digits only).`);
  const file = join(resolve(workspaceDir), PARAMETERS_FILE);
  const { parameters, problem } = readSavedParameters(workspaceDir);
  if (problem) throw new Error(problem.message);
  const key = templateKey(workspaceDir, templateFile);
  const next: SavedParameters = { ...parameters, [key]: { ...parameters[key], [name]: value } };
  await mkdir(dirname(file), { recursive: true });
  await writeAtomically(file, `${JSON.stringify(next, null, 2)}\n`);
  return file;
}

export interface DeclaredParameter {
  name: string;
  /** 1-based line of the declaration. */
  line: number;
  default?: string;
  description?: string;
  allowedValues?: string[];
}

/** The parameters a template declares, in file order (for the editor's prompt and its "set parameters" command). */
export function declaredParameters(text: string, file: string): DeclaredParameter[] {
  const yaml = parseYaml(text, file);
  const section = entryOf(yaml.doc.contents, 'Parameters', yaml);
  if (!section) return [];
  return entriesOf(section.value, yaml).map((entry) => {
    const spec = asRecord(yaml.plain(entry.value));
    const text = (v: unknown) => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
    return {
      name: entry.key,
      line: entry.line,
      ...(spec.Default !== undefined && spec.Default !== null ? { default: text(spec.Default) } : {}),
      ...(typeof spec.Description === 'string' ? { description: spec.Description } : {}),
      ...(Array.isArray(spec.AllowedValues) ? { allowedValues: spec.AllowedValues.map((v) => text(v) ?? '') } : {}),
    };
  });
}
