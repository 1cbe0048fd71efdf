// The capabilities a function grants its component in the template (component.keyValue, config, messaging):
// which WIT imports each one allows (world.ts refuses the others at load), the world a build targets (only the
// granted imports), and what a worker needs to serve them (GuestCapabilities: SQLite files, config values,
// subjects, provider programs). Swapping a provider changes only this last part: the component is not rebuilt.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ComponentSettings, FunctionSpec, CapabilityProvider } from '../../../functions/model.ts';
import { parseDotEnv } from '../../../functions/project-settings.ts';
import { workspaceOf } from '../../../build/build-function.ts';
import type { ExecProvider, GuestCapabilities } from '../messages.ts';
import { KEYVALUE_VERSION } from './guest-keyvalue.ts';
import { CONFIG_VERSION } from './guest-config.ts';
import { MESSAGING_VERSION } from './guest-messaging.ts';

export type Capability = 'keyValue' | 'config' | 'messaging';

/** Each capability's WIT imports (without versions), and the version the runner serves. */
export const CAPABILITY_IMPORTS: Record<Capability, { interfaces: string[]; version: string; setting: string }> = {
  keyValue: {
    interfaces: ['wasi:keyvalue/store', 'wasi:keyvalue/atomics', 'wasi:keyvalue/batch'],
    version: KEYVALUE_VERSION,
    setting: 'keyValue: { default: local }',
  },
  config: { interfaces: ['wasi:config/store'], version: CONFIG_VERSION, setting: 'config: { values: { key: value } }' },
  messaging: {
    interfaces: ['wasmcloud:messaging/consumer', 'wasmcloud:messaging/types'],
    version: MESSAGING_VERSION,
    setting: 'messaging: { subjects: { orders: OrderFunction } }',
  },
};

export const NO_CAPABILITIES: GuestCapabilities = { keyValue: {} };

/** The capability an import belongs to, when it is one. */
export function capabilityOf(importName: string): Capability | undefined {
  return (Object.keys(CAPABILITY_IMPORTS) as Capability[]).find((c) => CAPABILITY_IMPORTS[c].interfaces.includes(importName));
}

type Grants = Pick<ComponentSettings, 'keyValue' | 'config' | 'messaging'>;

export function isGranted(capability: Capability, settings: Partial<Grants>): boolean {
  if (capability === 'keyValue') return Object.keys(settings.keyValue ?? {}).length > 0;
  return settings[capability] !== undefined;
}

/** `import ...;` lines for the granted capabilities, for the world a component is built for. */
export function grantedImports(settings: Partial<Grants>): string[] {
  const lines: string[] = [];
  for (const capability of Object.keys(CAPABILITY_IMPORTS) as Capability[]) {
    if (!isGranted(capability, settings)) continue;
    const { interfaces, version } = CAPABILITY_IMPORTS[capability];
    // `types` interfaces come in through the `use` of the others.
    for (const name of interfaces.filter((i) => !i.endsWith('/types'))) lines.push(`import ${name}@${version};`);
  }
  return lines;
}

/** Where the built-in provider keeps a store: one SQLite file per store name under the project's .open-runtime/. */
export function localStoreFile(fn: Pick<FunctionSpec, 'source' | 'codeUri'>, store: string): string {
  return join(workspaceOf(fn as FunctionSpec), '.open-runtime', 'keyvalue', `${encodeURIComponent(store)}.sqlite`);
}

export function execProvider(provider: CapabilityProvider, cwd: string): ExecProvider | undefined {
  if (provider.provider !== 'exec' || !provider.command?.length) return undefined;
  const [program, ...args] = provider.command;
  // A program given as a relative path (./kv.sh, providers/kv.py) is the project's; a bare name is found on PATH.
  const command = [program!.includes('/') ? resolve(cwd, program!) : program!, ...args];
  return { kind: 'exec', name: provider.command.join(' '), command, cwd, timeoutMs: provider.timeoutMs };
}

/** What the function's worker needs to serve its capabilities. Reads the config env file (a missing one is an error). */
export function guestCapabilities(fn: FunctionSpec, settings: Grants): GuestCapabilities {
  const capabilities: GuestCapabilities = { keyValue: {} };
  for (const [store, provider] of Object.entries(settings.keyValue)) {
    capabilities.keyValue[store] = execProvider(provider, fn.codeUri) ?? { kind: 'local', file: localStoreFile(fn, store) };
  }
  if (settings.config) {
    const exec = execProvider(settings.config, fn.codeUri);
    if (exec) capabilities.config = exec;
    else {
      let fromFile: Record<string, string> = {};
      if (settings.config.envFile) {
        const file = resolve(fn.codeUri, settings.config.envFile);
        try {
          fromFile = parseDotEnv(readFileSync(file, 'utf8'));
        } catch (error) {
          throw new Error(
            `Could not read the config file ${file} of function ${fn.name} (component.config.envFile): ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}.`,
          );
        }
      }
      capabilities.config = { kind: 'local', values: { ...fromFile, ...settings.config.values } };
    }
  }
  if (settings.messaging) capabilities.messaging = execProvider(settings.messaging, fn.codeUri) ?? { kind: 'local', subjects: settings.messaging.subjects };
  return capabilities;
}

/** One line per granted capability, saying who serves it (the component view, `open-runtime export`). */
export function describeProviders(capabilities: GuestCapabilities): Array<{ capability: Capability; name: string; provider: string }> {
  const rows: Array<{ capability: Capability; name: string; provider: string }> = [];
  for (const [store, spec] of Object.entries(capabilities.keyValue)) {
    rows.push({ capability: 'keyValue', name: store, provider: spec.kind === 'local' ? `built-in SQLite (${spec.file})` : `exec: ${spec.name}` });
  }
  const config = capabilities.config;
  if (config)
    rows.push({
      capability: 'config',
      name: 'config',
      provider:
        config.kind === 'local' ? `built-in (${plural(Object.keys(config.values).length, 'value')} from the template / env file)` : `exec: ${config.name}`,
    });
  const messaging = capabilities.messaging;
  if (messaging) {
    rows.push({
      capability: 'messaging',
      name: 'messaging',
      provider:
        messaging.kind === 'local'
          ? `built-in: ${
              Object.entries(messaging.subjects)
                .map(([s, f]) => `${s} -> ${f}`)
                .join(', ') || 'no subjects'
            }`
          : `exec: ${messaging.name}`,
    });
  }
  return rows;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
