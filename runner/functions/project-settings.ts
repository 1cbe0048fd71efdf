// What a project says about how to run it outside its template, read the way SAM CLI reads it, so a SAM
// user's files and flags work unchanged: --parameter-overrides, samconfig.toml / .yaml (--config-file,
// --config-env), --env-vars (env.json), a .env file, and the region (--region, --profile).
//
// Precedence, one rule each:
//   parameters:  --parameter-overrides > samconfig parameter_overrides > the template's Default
//   variables:   --env-vars for the function (logical id or full path) > --env-vars "Parameters" > .env > template
//                (only variables the template declares get a value, as with SAM's --env-vars)
//   region:      --region > samconfig region > AWS_REGION > AWS_DEFAULT_REGION > the profile's region in
//                ~/.aws/config (AWS_CONFIG_FILE) > us-east-1; the profile is --profile > samconfig > AWS_PROFILE > default
//   samconfig:   [<env>.<command>.parameters] > [<env>.global.parameters]; env is --config-env or "default"
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYamlText } from 'yaml';
import { DEFAULT_REGION, asRecord } from './intrinsics.ts';
import type { EnvVarsFile } from './template.ts';

/** A mistake in one of these files or flags: the message says which and what to do. */
export class ProjectSettingsError extends Error {}

/** SAM's --parameter-overrides: `Key=Value Key2="a b"` and `ParameterKey=K,ParameterValue=V`, in one string or many. */
export function parseParameterOverrides(input: string | string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const token of (Array.isArray(input) ? input : [input]).flatMap(splitOutsideQuotes)) {
    const long = /^ParameterKey=([^,]+),ParameterValue=(.*)$/s.exec(token);
    const short = long ? undefined : /^([^=]+)=(.*)$/s.exec(token);
    const match = long ?? short;
    if (!match) {
      throw new ProjectSettingsError(`The parameter override "${token}" is not Key=Value or ParameterKey=Key,ParameterValue=Value; write it as Stage=prod.`);
    }
    out[unquote(match[1]!)] = unquote(match[2]!);
  }
  return out;
}

function splitOutsideQuotes(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quote && i + 1 < text.length) {
      current += c + text[++i];
    } else if (quote) {
      if (c === quote) quote = undefined;
      current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      current += c;
    } else if (/\s/.test(c)) {
      if (current) tokens.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current) tokens.push(current);
  return tokens;
}

/** `"a b"` -> `a b`, also inside `Key="a b"`'s value; backslash escapes inside quotes are kept as the character. */
function unquote(text: string): string {
  const m = /^(["'])(.*)\1$/s.exec(text);
  return m ? m[2]!.replace(/\\(.)/g, '$1') : text;
}

/** The samconfig sections SAM reads for our verbs. */
const SAM_COMMAND: Record<string, string> = { invoke: 'local_invoke', start: 'local_start_lambda', serve: 'local_start_lambda', list: 'local_start_lambda' };
export const SAMCONFIG_FILES = ['samconfig.toml', 'samconfig.yaml', 'samconfig.yml'] as const;

export interface SamConfig {
  file: string;
  parameterOverrides?: Record<string, string>;
  envVars?: string;
  region?: string;
  profile?: string;
  templateFile?: string;
}

/**
 * The settings for `verb` in samconfig: `configFile` when given (relative to `dir`), else the first of
 * samconfig.toml / .yaml / .yml in `dir`. Paths in it (template_file, env_vars) are relative to its folder.
 */
export function readSamConfig(dir: string, verb: string, configEnv = 'default', configFile?: string): SamConfig | undefined {
  const file = configFile ? resolve(dir, configFile) : SAMCONFIG_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ProjectSettingsError(`Could not read the config file ${file}: ${(error as Error).message}. Check --config-file.`);
  }
  let data: Record<string, unknown>;
  try {
    data = asRecord(file.endsWith('.toml') ? parseToml(text) : parseYamlText(text));
  } catch (error) {
    throw new ProjectSettingsError(
      `${file} could not be read as ${file.endsWith('.toml') ? 'TOML' : 'YAML'}: ${(error as Error).message.split('\n')[0]}. Fix it, or pass another one with --config-file.`,
    );
  }
  const env = asRecord(data[configEnv]);
  if (configEnv !== 'default' && !(configEnv in data)) {
    throw new ProjectSettingsError(
      `${basename(file)} has no environment "${configEnv}" (it has ${
        Object.keys(data)
          .filter((k) => k !== 'version')
          .join(', ') || 'none'
      }). Check --config-env.`,
    );
  }
  const section = { ...asRecord(asRecord(env.global).parameters), ...asRecord(asRecord(env[SAM_COMMAND[verb] ?? 'local_invoke']).parameters) };
  const text_ = (key: string) => (typeof section[key] === 'string' && section[key] ? (section[key] as string) : undefined);
  const overrides = section.parameter_overrides;
  const base = dirname(file);
  return {
    file,
    parameterOverrides:
      typeof overrides === 'string' || Array.isArray(overrides)
        ? parseParameterOverrides(Array.isArray(overrides) ? overrides.map(String) : overrides)
        : undefined,
    envVars: text_('env_vars') && resolve(base, text_('env_vars')!),
    region: text_('region'),
    profile: text_('profile'),
    templateFile: text_('template_file') && resolve(base, text_('template_file')!),
  };
}

/**
 * SAM's env.json: `{ "Function": { "VAR": "value" }, "Parameters": { "VAR": "value" } }`; numbers and booleans become
 * text. A dotenv file (`.env`, `prod.env`), which SAM CLI also takes, gives values for every function (`Parameters`).
 */
export function readEnvVarsFile(file: string): EnvVarsFile {
  let data: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    if (/(^|\.)env$/.test(basename(file))) return { Parameters: parseDotEnv(text) };
    data = JSON.parse(text);
  } catch (error) {
    throw new ProjectSettingsError(
      `Could not read the --env-vars file ${file}: ${(error as Error).message}. It must be JSON such as { "MyFunction": { "TABLE": "local" } }.`,
    );
  }
  const out: EnvVarsFile = {};
  for (const [key, value] of Object.entries(asRecord(data))) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new ProjectSettingsError(
        `The --env-vars file ${file} has "${key}" that is not an object of variables; write it as { "${key}": { "NAME": "value" } }.`,
      );
    }
    out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  }
  return out;
}

/** A .env file: `NAME=value` lines, `export` allowed, `#` comments, single or double quotes around the value. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quoted = /^(["'])(.*)\1$/s.exec(value);
    if (quoted) value = quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1') : quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    out[m[1]!] = value;
  }
  return out;
}

export function readDotEnv(dir: string): Record<string, string> | undefined {
  const file = join(dir, '.env');
  return existsSync(file) ? parseDotEnv(readFileSync(file, 'utf8')) : undefined;
}

/** The region of a profile in the shared config file (AWS_CONFIG_FILE or ~/.aws/config). */
export function profileRegion(profile: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env.AWS_CONFIG_FILE ?? join(env.HOME ?? homedir(), '.aws', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inside = false;
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(line);
    if (header) {
      inside = wanted.includes(header[1]!.replace(/\s+/g, ' '));
      continue;
    }
    const setting = inside ? /^\s*region\s*=\s*([^\s#;]+)/.exec(line) : null;
    if (setting) return setting[1];
  }
  return undefined;
}

/** The one region order, for AWS::Region and for the functions' AWS_REGION alike (see the top of this file). */
export function resolveRegion(given: { flag?: string; samconfig?: string; profile?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const profile = given.profile ?? env.AWS_PROFILE ?? 'default';
  return given.flag || given.samconfig || env.AWS_REGION || env.AWS_DEFAULT_REGION || profileRegion(profile, env) || DEFAULT_REGION;
}
