// `open-runtime export`: the spin.toml and wadm.yaml written for the example project's components (and one with
// every capability) are valid against the engines' documented manifest shapes (test/fixtures/schemas, from Spin's
// manifest reference and wasmCloud's wadm-types), map the granted capabilities, and name what has no mapping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { loadTemplate } from '../../runner/functions/template.ts';
import { FunctionSpec } from '../../runner/functions/model.ts';
import { exportManifests } from '../../runner/export/engines.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const schema = (name: string) => JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'schemas', name), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: false });
const validSpin = ajv.compile(schema('spin-manifest-v2.schema.json'));
const validWadm = ajv.compile(schema('wadm-v1beta1.schema.json'));

const everything = FunctionSpec.parse({
  name: 'OrdersApi',
  runtime: 'wasi',
  handler: 'build/orders.wasm',
  codeUri: join(ROOT, 'examples', 'orders'),
  environment: { STAGE: 'dev' },
  httpEvents: [{ kind: 'http', path: '/orders/{id}', method: 'GET', payloadVersion: '2.0', api: 'HttpApi', stage: '$default' }],
  component: {
    world: 'http',
    allowedHosts: ['api.example.com'],
    keyValue: { default: { provider: 'local' }, cache: { provider: 'exec', command: ['python3', 'kv.py'] } },
    config: { values: { greeting: 'Hello', 'Max-Items': '3' } },
    messaging: { subjects: { audit: 'Audit' } },
  },
});

test('the example project and a component with every capability export to manifests the engines accept', async () => {
  const { functions } = await loadTemplate(join(ROOT, 'examples', 'template.yaml'));
  const { spinToml, wadmYaml, notes } = exportManifests([...functions, everything], { projectDir: join(ROOT, 'examples'), name: 'Examples' });
  const spin = JSON.parse(JSON.stringify(parseToml(spinToml))) as Record<string, unknown>;
  const wadm = parseYaml(wadmYaml) as Record<string, unknown>;
  assert.ok(validSpin(spin), JSON.stringify(validSpin.errors, null, 2));
  assert.ok(validWadm(wadm), JSON.stringify(validWadm.errors, null, 2));

  // Spin: the component, its stores, variables from config, the route, the allowed host.
  const components = spin.component as Record<string, Record<string, unknown>>;
  assert.deepEqual(components['orders-api'], {
    source: 'orders/build/orders.wasm',
    environment: { STAGE: 'dev' },
    allowed_outbound_hosts: ['https://api.example.com'],
    key_value_stores: ['default', 'cache'],
    variables: { greeting: '{{ greeting }}', max_items: '{{ max_items }}' },
  });
  assert.deepEqual(components['kv-counter-c']!.key_value_stores, ['default']);
  assert.deepEqual((spin.trigger as { http: unknown[] }).http, [
    { route: '/...', component: 'http-component-js' },
    { route: '/orders/...', component: 'orders-api' },
  ]);
  assert.deepEqual((spin.variables as Record<string, unknown>).max_items, { default: '3' });

  // wadm: the component with its config, links to a key-value provider per store and to messaging; the providers.
  const list = (wadm.spec as { components: Array<Record<string, any>> }).components;
  const orders = list.find((c) => c.name === 'orders-api')!;
  assert.equal(orders.properties.image, 'file://./orders/build/orders.wasm');
  assert.deepEqual(orders.properties.config, [{ name: 'orders-api-config', properties: { greeting: 'Hello', 'Max-Items': '3' } }]);
  const links = orders.traits
    .filter((t: { type: string }) => t.type === 'link')
    .map((t: { properties: { package: string; name?: string } }) => `${t.properties.package}:${t.properties.name ?? ''}`);
  assert.deepEqual(links, ['keyvalue:default', 'keyvalue:cache', 'messaging:']);
  assert.ok(list.some((c) => c.name === 'keyvalue' && c.type === 'capability'));
  assert.ok(list.some((c) => c.name === 'messaging' && c.type === 'capability'));
  assert.ok(list.some((c) => c.name === 'orders-api-http' && c.type === 'capability'));

  // What has no mapping is said, per function, in the notes and at the top of both files.
  const about = (fn: string) => notes.filter((n) => n.startsWith(`${fn}:`)).join('\n');
  assert.match(about('HelloComponentJs'), /no trigger for Open Runtime's handler world/);
  assert.match(about('OrdersApi'), /Spin has no messaging interface \(wasmcloud:messaging\): no Spin mapping/);
  assert.match(about('OrdersApi'), /subject "audit" invokes Audit here; .*no mapping/);
  assert.match(about('OrdersApi'), /store "cache" is served here by `python3 kv\.py`/);
  assert.match(about('KvCounterC'), /config values from config\.env are not exported/);
  for (const file of [spinToml, wadmYaml]) assert.match(file, /^# Exported by open-runtime export\. What the engine cannot take:\n#   HelloComponentJs: /);
});

test('a manifest missing what the engines require fails the schemas (the check can fail)', () => {
  assert.equal(validSpin({ spin_manifest_version: 2, application: {}, component: { Bad_Name: {} } }), false);
  assert.equal(
    validWadm({
      apiVersion: 'core.oam.dev/v1beta1',
      kind: 'Application',
      metadata: { name: 'x', annotations: { version: 'v1' } },
      spec: { components: [{ name: 'c', type: 'component', properties: { image: 'i' }, traits: [{ type: 'link', properties: { target: 'kv' } }] }] },
    }),
    false,
  );
});
