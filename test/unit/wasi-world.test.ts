// What a component may be: its WIT world read from `wasm-tools component wit` output, the export its
// function's world needs, and the import grants (what is always given, what needs allowedHosts, what never is).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkComponent, readWorld } from '../../runner/runtimes/wasi/world.ts';
import { isHostAllowed } from '../../runner/runtimes/wasi/allowed-hosts.ts';

const C_HANDLER = `package root:component;

world root {
  import open-runtime:lambda/types@0.1.0;
  import wasi:io/error@0.2.12;
  import wasi:io/streams@0.2.12;
  import wasi:cli/stdout@0.2.12;
  import wasi:filesystem/types@0.2.12;
  import wasi:filesystem/preopens@0.2.12;

  export open-runtime:lambda/handler@0.1.0;
}
`;

const QUICKJS_HANDLER = `package root:component;

world root {
  import wasi:cli/environment@0.2.12;
  import wasi:random/insecure-seed@0.2.12;
  import open-runtime:lambda/types@0.1.0;

  export init: func(shim: string, script: string, entry-path: option<string>, disable-gc: bool) -> result<_, string>;
  export open-runtime:lambda/handler@0.1.0;
}
`;

const PROXY = `package root:component;

world root {
  import wasi:io/poll@0.2.10;
  import wasi:http/types@0.2.10;
  import wasi:http/outgoing-handler@0.2.10;

  export wasi:http/incoming-handler@0.2.10;
}
`;

const handler = { world: 'handler' as const, allowedHosts: [] };
const http = { world: 'http' as const, allowedHosts: [] };

test('readWorld lists top-level imports and exports, with versions, functions and inline interfaces', () => {
  const world = readWorld(`package root:component;

world root {
  import wasi:cli/stdout@0.2.12;
  import log: func(line: string);
  import host: interface {
    now: func() -> u64;
  }
  // a comment with import wasi:sockets/tcp@0.2.0; in it
  export run: func() -> result;
  export acme:tools/run@0.1.0-rc.1;
}
`);
  assert.deepEqual(world.imports, [
    { name: 'wasi:cli/stdout', version: '0.2.12', kind: 'interface' },
    { name: 'log', kind: 'func' },
    { name: 'host', kind: 'inline' },
  ]);
  assert.deepEqual(world.exports, [
    { name: 'run', kind: 'func' },
    { name: 'acme:tools/run', version: '0.1.0-rc.1', kind: 'interface' },
  ]);
});

test('a handler-world component built by clang or QuickJS is accepted, with the export that serves it', () => {
  assert.deepEqual(checkComponent(readWorld(C_HANDLER), handler, 'c.wasm'), { ok: true, exportName: 'open-runtime:lambda/handler@0.1.0' });
  assert.deepEqual(checkComponent(readWorld(QUICKJS_HANDLER), handler, 'q.wasm'), { ok: true, exportName: 'open-runtime:lambda/handler@0.1.0' });
});

test('the wrong world is named, with the setting that fixes it', () => {
  const asHandler = checkComponent(readWorld(PROXY), { ...handler, allowedHosts: ['example.com'] }, 'proxy.wasm');
  assert.equal(asHandler.ok, false);
  assert.match(!asHandler.ok ? asHandler.errorMessage : '', /proxy\.wasm is a wasi:http component .* Set "world: http"/);
  const asHttp = checkComponent(readWorld(C_HANDLER), http, 'c.wasm');
  assert.match(!asHttp.ok ? asHttp.errorMessage : '', /c\.wasm is a handler-world component .* Remove "world: http"/);
});

test('a missing export lists what the component does export; a command is called a command', () => {
  const command = checkComponent(readWorld('world root {\n  export wasi:cli/run@0.2.3;\n}\n'), handler, 'cmd.wasm');
  assert.equal(!command.ok && command.errorType, 'Runtime.InvalidEntrypoint');
  assert.match(!command.ok ? command.errorMessage : '', /does not export open-runtime:lambda\/handler@0\.1\.0; it exports wasi:cli\/run@0\.2\.3, \(a command/);
  const nothing = checkComponent(readWorld('world root {\n}\n'), http, 'empty.wasm');
  assert.match(!nothing.ok ? nothing.errorMessage : '', /does not export wasi:http\/incoming-handler; it exports nothing/);
});

test('another version of the handler interface is refused with the version this runner speaks', () => {
  const result = checkComponent(readWorld('world root {\n  export open-runtime:lambda/handler@0.2.0;\n}\n'), handler, 'new.wasm');
  assert.match(
    !result.ok ? result.errorMessage : '',
    /exports open-runtime:lambda\/handler@0\.2\.0, but this runner speaks open-runtime:lambda\/handler@0\.1\.0/,
  );
});

test('imports: outgoing HTTP needs allowedHosts; sockets, unknown interfaces, bare functions and WASI 0.3 are refused by name', () => {
  const noHosts = checkComponent(readWorld(PROXY), http, 'proxy.wasm');
  assert.equal(!noHosts.ok && noHosts.errorType, 'Runtime.ImportNotGranted');
  assert.match(
    !noHosts.ok ? noHosts.errorMessage : '',
    /proxy\.wasm imports wasi:http\/outgoing-handler@0\.2\.10, which the function was not granted: .*allowedHosts/,
  );
  assert.deepEqual(checkComponent(readWorld(PROXY), { ...http, allowedHosts: ['api.example.com'] }, 'proxy.wasm'), {
    ok: true,
    exportName: 'wasi:http/incoming-handler@0.2.10',
  });

  const refused = (imports: string) => {
    const result = checkComponent(readWorld(`world root {\n${imports}\n  export open-runtime:lambda/handler@0.1.0;\n}\n`), handler, 'x.wasm');
    return result.ok ? 'granted' : result.errorMessage;
  };
  assert.match(refused('  import wasi:sockets/tcp@0.2.10;'), /imports wasi:sockets\/tcp@0\.2\.10, .*raw network sockets are not available/);
  assert.match(refused('  import acme:db/query@1.0.0;'), /imports acme:db\/query@1\.0\.0, .*Open Runtime does not provide it/);
  assert.match(
    refused('  import wasi:keyvalue/store@0.2.0-draft;'),
    /imports wasi:keyvalue\/store@0\.2\.0-draft, which the function was not granted: grant it in the template: add "keyValue: \{ default: local \}"/,
  );
  assert.match(refused('  import log: func(line: string);'), /imports log, .*not bare function or inline interface imports/);
  assert.match(refused('  import wasi:cli/stdout@0.3.0;'), /imports wasi:cli\/stdout@0\.3\.0, .*this is WASI 0\.3\.0/);
  assert.equal(refused('  import wasi:clocks/wall-clock@0.2.0;\n  import wasi:random/random@0.2.3;\n  import wasi:cli/exit@0.2.12;'), 'granted');
});

test('allowedHosts: exact hosts on any port, host:port, subdomain wildcards, URLs and *', () => {
  assert.equal(isHostAllowed('api.example.com', 'https', ['api.example.com']), true);
  assert.equal(isHostAllowed('api.example.com:8443', 'https', ['api.example.com']), true);
  assert.equal(isHostAllowed('API.Example.com', 'https', ['api.example.com']), true);
  assert.equal(isHostAllowed('evil.com', 'https', ['api.example.com']), false);
  assert.equal(isHostAllowed('api.example.com.evil.com', 'https', ['api.example.com']), false);
  assert.equal(isHostAllowed('127.0.0.1:8080', 'http', ['127.0.0.1:8080']), true);
  assert.equal(isHostAllowed('127.0.0.1:8081', 'http', ['127.0.0.1:8080']), false);
  // Without a port in the authority, the scheme's default port counts.
  assert.equal(isHostAllowed('localhost', 'http', ['localhost:80']), true);
  assert.equal(isHostAllowed('localhost', 'https', ['localhost:80']), false);
  assert.equal(isHostAllowed('a.b.example.org', 'https', ['*.example.org']), true);
  assert.equal(isHostAllowed('example.org', 'https', ['*.example.org']), false);
  assert.equal(isHostAllowed('api.example.com', 'https', ['https://api.example.com']), true);
  assert.equal(isHostAllowed('api.example.com:444', 'https', ['https://api.example.com']), false);
  assert.equal(isHostAllowed('[::1]:9000', 'http', ['[::1]:9000']), true);
  assert.equal(isHostAllowed('anything.at.all', 'https', ['*']), true);
  assert.equal(isHostAllowed(undefined, 'https', ['*']), false);
  assert.equal(isHostAllowed('example.com', 'https', []), false);
});

test('capabilities: key-value, config and messaging imports are granted by their template settings, at the versions the runner serves', () => {
  const world = (imports: string[]) =>
    readWorld(`world root {\n${imports.map((i) => `  import ${i};`).join('\n')}\n  export open-runtime:lambda/handler@0.1.0;\n}\n`);
  const all = [
    'wasi:keyvalue/store@0.2.0-draft',
    'wasi:keyvalue/atomics@0.2.0-draft',
    'wasi:keyvalue/batch@0.2.0-draft',
    'wasi:config/store@0.2.0-draft',
    'wasmcloud:messaging/types@0.2.0',
    'wasmcloud:messaging/consumer@0.2.0',
  ];
  const provider = { provider: 'local' as const, timeoutMs: 5000 };
  const granted = { ...handler, keyValue: { default: provider }, config: { ...provider, values: {} }, messaging: { ...provider, subjects: {} } };
  assert.deepEqual(checkComponent(world(all), granted, 'app.wasm'), { ok: true, exportName: 'open-runtime:lambda/handler@0.1.0' });

  const refusal = (imports: string[], settings: Parameters<typeof checkComponent>[1]) => {
    const result = checkComponent(world(imports), settings, 'app.wasm');
    return result.ok ? 'granted' : result.errorMessage;
  };
  assert.match(
    refusal(all, { ...granted, keyValue: {} }),
    /imports wasi:keyvalue\/store@0\.2\.0-draft, which the function was not granted: grant it in the template: add "keyValue: \{ default: local \}"/,
  );
  assert.match(refusal(['wasi:config/store@0.2.0-draft'], handler), /imports wasi:config\/store@0\.2\.0-draft, .*add "config: \{ values: \{ key: value \} \}"/);
  assert.match(refusal(['wasmcloud:messaging/consumer@0.2.0'], handler), /add "messaging: \{ subjects: \{ orders: OrderFunction \} \}"/);
  // Another draft of an interface is refused with the version to build for, even when the capability is granted.
  assert.match(
    refusal(['wasi:keyvalue/store@0.2.0-draft2'], granted),
    /imports wasi:keyvalue\/store@0\.2\.0-draft2, .*this runner serves wasi:keyvalue@0\.2\.0-draft, and the component was built for 0\.2\.0-draft2/,
  );
  assert.match(refusal(['wasi:config/runtime@0.2.0-draft'], granted), /imports wasi:config\/runtime@0\.2\.0-draft, .*Open Runtime does not provide it/);
});
