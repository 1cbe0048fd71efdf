// `open-runtime export`: what an existing WebAssembly engine needs to run the project's component functions
// unchanged, with their granted capabilities mapped: a Spin manifest (spin.toml, manifest version 2, for Spin and
// SpinKube) and a wadm manifest (wasmCloud, core.oam.dev/v1beta1). Where an engine has no counterpart for a
// setting, the output says so (comments in the files, and the notes printed) instead of dropping it silently.
import { relative } from 'node:path';
import { stringify as toToml } from 'smol-toml';
import { stringify as toYaml } from 'yaml';
import { ComponentSettings, type FunctionSpec } from '../functions/model.ts';
import { KEYVALUE_VERSION } from '../runtimes/wasi/capabilities/guest-keyvalue.ts';
import { CONFIG_VERSION } from '../runtimes/wasi/capabilities/guest-config.ts';

export interface ExportOptions {
  /** The project folder: component paths are written relative to it. */
  projectDir: string;
  /** The application's name in both manifests. */
  name: string;
  /** wasmCloud capability provider images (any provider serving the interface will do). */
  keyValueProvider?: string;
  messagingProvider?: string;
  httpProvider?: string;
}

export interface ExportResult {
  spinToml: string;
  wadmYaml: string;
  /** One sentence per setting an engine cannot take, naming the function. */
  notes: string[];
}

export const DEFAULT_PROVIDERS = {
  keyValue: 'ghcr.io/wasmcloud/keyvalue-redis:0.28.2',
  messaging: 'ghcr.io/wasmcloud/messaging-nats:0.24.0',
  http: 'ghcr.io/wasmcloud/http-server:0.25.0',
};

/** Spin component ids and variable names: lower case, the one form both engines accept. */
function idOf(name: string): string {
  return (
    name
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'component'
  );
}

function variableOf(key: string): string {
  const name = key.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
  return /^[a-z]/.test(name) ? name : `v_${name}`;
}

export function exportManifests(functions: FunctionSpec[], options: ExportOptions): ExportResult {
  const components = functions.filter((f) => f.runtime === 'wasi');
  const notes: string[] = [];
  const note = (text: string) => notes.push(text);
  const providers = {
    keyValue: options.keyValueProvider ?? DEFAULT_PROVIDERS.keyValue,
    messaging: options.messagingProvider ?? DEFAULT_PROVIDERS.messaging,
    http: options.httpProvider ?? DEFAULT_PROVIDERS.http,
  };

  const spin: Record<string, unknown> = {
    spin_manifest_version: 2,
    application: { name: idOf(options.name), version: '0.1.0', description: `Exported by open-runtime export from ${options.name}` },
  };
  const spinVariables: Record<string, { default: string }> = {};
  const httpTriggers: Array<{ route: string; component: string }> = [];
  const spinComponents: Record<string, Record<string, unknown>> = {};
  const wadm: Array<Record<string, unknown>> = [];
  const needs = { keyValue: false, messaging: false, http: false };

  for (const fn of components) {
    const settings = ComponentSettings.parse(fn.component ?? {});
    const id = idOf(fn.name);
    const source = relative(options.projectDir, `${fn.codeUri}/${fn.handler}`).split('\\').join('/');
    const spinComponent: Record<string, unknown> = { source };
    const traits: Array<Record<string, unknown>> = [{ type: 'spreadscaler', properties: { instances: 1 } }];
    const wadmProperties: Record<string, unknown> = { image: `file://./${source}` };

    if (settings.world === 'http') {
      const routes = (fn.httpEvents ?? []).map((e) => e.path.replace(/\{[^}]*\+\}$/, '...').replace(/\{[^}]*\}/g, '...'));
      for (const route of routes.length ? [...new Set(routes)] : [`/${id}/...`]) httpTriggers.push({ route, component: id });
      needs.http = true;
      wadm.push({
        name: `${id}-http`,
        type: 'capability',
        properties: { image: providers.http },
        traits: [
          {
            type: 'link',
            properties: {
              namespace: 'wasi',
              package: 'http',
              interfaces: ['incoming-handler'],
              target: { name: id },
              source: { config: [{ name: `${id}-http-address`, properties: { address: '0.0.0.0:8000' } }] },
            },
          },
        ],
      });
    } else {
      note(
        `${fn.name}: Spin and wasmCloud have no trigger for Open Runtime's handler world (open-runtime:lambda/handler): the component is listed, but nothing calls it until it exports wasi:http/incoming-handler (world: http) or is called by another component.`,
      );
    }
    if (Object.keys(fn.environment).length) spinComponent.environment = fn.environment;
    if (settings.allowedHosts.length) spinComponent.allowed_outbound_hosts = settings.allowedHosts.map((h) => (h.includes('://') ? h : `https://${h}`));
    if (settings.preopens.length) {
      spinComponent.files = settings.preopens.map((p) => ({ source: relative(options.projectDir, `${fn.codeUri}/${p.host}`), destination: p.guest }));
      note(`${fn.name}: wasmCloud components get no filesystem: its preopens (${settings.preopens.map((p) => p.guest).join(', ')}) have no wadm mapping.`);
    }

    const stores = Object.keys(settings.keyValue);
    if (stores.length) {
      spinComponent.key_value_stores = stores;
      note(
        `${fn.name}: Spin serves key-value as wasi:keyvalue@0.2.0-draft2 (Spin 3), and the component imports @${KEYVALUE_VERSION}: key_value_stores is written, but rebuild the component against draft2 for Spin; stores other than "default" need a Spin runtime config (runtime-config.toml).`,
      );
      needs.keyValue = true;
      for (const store of stores) {
        traits.push({
          type: 'link',
          properties: {
            namespace: 'wasi',
            package: 'keyvalue',
            interfaces: ['store', 'atomics', 'batch'],
            name: store,
            target: { name: 'keyvalue', config: [{ name: `${id}-${idOf(store)}-bucket`, properties: { bucket: store } }] },
          },
        });
      }
      for (const [store, provider] of Object.entries(settings.keyValue)) {
        if (provider.provider === 'exec')
          note(
            `${fn.name}: store "${store}" is served here by \`${provider.command?.join(' ')}\`; the engines use their own providers (${providers.keyValue} in wadm.yaml), so its data does not follow.`,
          );
      }
    }
    if (settings.config) {
      if (settings.config.provider === 'exec') {
        note(
          `${fn.name}: config is served here by \`${settings.config.command?.join(' ')}\`, which has no engine counterpart: set the values in spin.toml [variables] / wadm config by hand.`,
        );
      } else {
        const values = settings.config.values;
        const vars: Record<string, string> = {};
        for (const [key, value] of Object.entries(values)) {
          const variable = variableOf(key);
          spinVariables[variable] = { default: value };
          vars[variable] = `{{ ${variable} }}`;
        }
        if (Object.keys(vars).length) spinComponent.variables = vars;
        if (settings.config.envFile)
          note(
            `${fn.name}: config values from ${settings.config.envFile} are not exported (only the template's values): add them to [variables] / the wadm config.`,
          );
        note(
          `${fn.name}: Spin serves config as wasi:config@0.2.0-draft-2024-09-27 (Spin 3); the component imports @${CONFIG_VERSION}: rebuild it for Spin. wasmCloud serves @${CONFIG_VERSION} from the component's config below.`,
        );
        if (Object.keys(values).length) wadmProperties.config = [{ name: `${id}-config`, properties: values }];
      }
    }
    if (settings.messaging) {
      note(`${fn.name}: Spin has no messaging interface (wasmcloud:messaging): no Spin mapping.`);
      needs.messaging = true;
      traits.push({ type: 'link', properties: { namespace: 'wasmcloud', package: 'messaging', interfaces: ['consumer'], target: { name: 'messaging' } } });
      const subjects = settings.messaging.provider === 'local' ? Object.entries(settings.messaging.subjects) : [];
      for (const [subject, target] of subjects) {
        note(
          `${fn.name}: subject "${subject}" invokes ${target} here; on wasmCloud a subscriber must export wasmcloud:messaging/handler, which a handler-world function does not: no mapping, subscribe it by hand.`,
        );
      }
    }
    spinComponents[id] = spinComponent;
    wadm.push({ name: id, type: 'component', properties: wadmProperties, traits });
  }

  if (Object.keys(spinVariables).length) spin.variables = spinVariables;
  if (httpTriggers.length) spin.trigger = { http: httpTriggers };
  spin.component = spinComponents;
  if (needs.keyValue) wadm.push({ name: 'keyvalue', type: 'capability', properties: { image: providers.keyValue } });
  if (needs.messaging) wadm.push({ name: 'messaging', type: 'capability', properties: { image: providers.messaging } });
  if (!components.length) note('The project has no component functions (Runtime: wasi): the manifests are empty.');

  const header = (comment: string) =>
    `${comment} Exported by open-runtime export. What the engine cannot take:\n${notes.map((n) => `${comment}   ${n}`).join('\n') || `${comment}   nothing`}\n`;
  const manifest = {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: idOf(options.name), annotations: { version: 'v0.1.0', description: `Exported by open-runtime export from ${options.name}` } },
    spec: { components: wadm },
  };
  return { spinToml: `${header('#')}\n${toToml(spin)}\n`, wadmYaml: `${header('#')}\n${toYaml(manifest)}`, notes };
}
