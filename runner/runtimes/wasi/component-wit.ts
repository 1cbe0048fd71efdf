// "Show Component Interface" and the editor's .wasm view: the WIT world of any .wasm component (what it imports and
// exports), as `wasm-tools component wit` prints it, followed by the definitions of the interfaces it names (their
// functions, records, variants and resources): the world alone names `wasi:http/incoming-handler@0.2.10` without saying
// what is in it. Those definitions come from the WIT packages the runner ships (wit/: Lambda's worlds, WASI 0.2); an
// interface of another package is listed as not available.
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../../paths.ts';
import { kindOfBinary } from './component-store.ts';

export class NotAComponentError extends Error {}

export async function componentInterface(bytes: Uint8Array): Promise<string> {
  const kind = kindOfBinary(bytes);
  if (kind === 'not-wasm') {
    throw new NotAComponentError('This file is not WebAssembly: it does not start with the WebAssembly preamble (\\0asm). Open a .wasm component.');
  }
  if (kind === 'core-module') {
    throw new NotAComponentError(
      'This is a core WebAssembly module, not a component, so it has no WIT interface. Make it a component with `jco new` (after `jco embed` of its WIT), or open the component built from it.',
    );
  }
  const { componentWit } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  try {
    return withInterfaceDefinitions(await componentWit(bytes));
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/^(Component)?Error:\s*/, '');
    throw new NotAComponentError(
      `This file looks like a component but could not be read: ${message}. It may be truncated or built by an incompatible toolchain.`,
    );
  }
}

/** A WIT package as shipped: its version and its interfaces' source text (with their doc comments), by name. */
interface ShippedPackage {
  version: string;
  interfaces: Map<string, string>;
}

/** `ns:name` -> the package, read from the .wit files under `root` (wit/ and wit/deps/). */
export function shippedPackages(root = join(PACKAGE_ROOT, 'wit')): Map<string, ShippedPackage> {
  const packages = new Map<string, ShippedPackage>();
  const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.wit'));
  for (const entry of files) {
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    const header = /^package\s+([\w-]+:[\w-]+)@([\w.+-]+)\s*;/m.exec(text);
    if (!header) continue;
    const pkg = packages.get(header[1]!) ?? { version: header[2]!, interfaces: new Map() };
    for (const [name, body] of interfaceBlocks(text)) pkg.interfaces.set(name, body);
    packages.set(header[1]!, pkg);
  }
  return packages;
}

/** Each top-level `interface name { ... }` of a WIT file, with the doc comments and gates just above it. */
function interfaceBlocks(text: string): [string, string][] {
  const blocks: [string, string][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^interface\s+([\w-]+)\s*\{/.exec(lines[i]!);
    if (!head) continue;
    let start = i;
    while (start > 0 && /^\s*(\/\/\/|@)/.test(lines[start - 1]!)) start--;
    let depth = 0;
    let end = i;
    for (; end < lines.length; end++) {
      const code = lines[end]!.replace(/\/\/.*$/, '');
      depth += (code.match(/\{/g)?.length ?? 0) - (code.match(/\}/g)?.length ?? 0);
      if (depth === 0) break;
    }
    blocks.push([head[1]!, lines.slice(start, end + 1).join('\n')]);
    i = end;
  }
  return blocks;
}

/**
 * The world, then a nested `package ... { ... }` block per package it imports or exports from, holding the interfaces
 * it names and those they `use` (e.g. wasi:http/types for the incoming handler's request and response).
 */
export function withInterfaceDefinitions(wit: string, packages = shippedPackages()): string {
  const wanted = new Map<string, { version: string; names: string[] }>();
  const missing: string[] = [];
  const want = (pkgName: string, version: string, iface: string) => {
    const entry = wanted.get(pkgName) ?? { version, names: [] };
    if (entry.names.includes(iface)) return;
    const shipped = packages.get(pkgName)?.interfaces.get(iface);
    if (!shipped) {
      missing.push(`${pkgName}/${iface}@${version}`);
      return;
    }
    entry.names.push(iface);
    wanted.set(pkgName, entry);
    // Interfaces it uses: `use types.{...}` (same package) and `use wasi:io/streams@0.2.10.{...}`.
    for (const use of shipped.matchAll(/^\s*use\s+(?:([\w-]+:[\w-]+)\/)?([\w-]+)(?:@([\w.+-]+))?\.\{/gm)) want(use[1] ?? pkgName, use[3] ?? version, use[2]!);
  };
  for (const m of wit.matchAll(/^\s*(?:import|export)\s+([\w-]+:[\w-]+)\/([\w-]+)@([\w.+-]+)\s*;/gm)) want(m[1]!, m[3]!, m[2]!);
  if (wanted.size === 0 && missing.length === 0) return wit;
  const sections = [...wanted].map(([pkgName, { version, names }]) => {
    const shippedVersion = packages.get(pkgName)!.version;
    const note = shippedVersion === version ? '' : ` (definitions of ${shippedVersion}, the version Open Runtime ships)`;
    const body = names
      .map((n) =>
        packages
          .get(pkgName)!
          .interfaces.get(n)!
          .replace(/^(?=.)/gm, '  '),
      )
      .join('\n\n');
    return `/// ${pkgName}@${version}${note}\npackage ${pkgName}@${version} {\n${body}\n}`;
  });
  const unknown = missing.length ? `\n\n// Not shipped with Open Runtime, so not shown: ${[...new Set(missing)].join(', ')}.` : '';
  return `${wit.trimEnd()}\n\n// The interfaces named above, as defined in their WIT packages.\n\n${sections.join('\n\n')}${unknown}\n`;
}

/** The WIT of the component at `file`; a missing or unreadable file is a NotAComponentError sentence too. */
export async function componentInterfaceOfFile(file: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new NotAComponentError(
      `Could not read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}. Build the component first (open-runtime build <function>).`,
    );
  }
  return componentInterface(bytes);
}

/** `open-runtime wit <file.wasm>`: prints the component's WIT on stdout. */
export async function witCommand(args: string[]): Promise<number> {
  const file = args.find((a) => !a.startsWith('-'));
  if (!file || args.includes('--help') || args.includes('-h')) {
    process.stderr.write('Usage: open-runtime wit <component.wasm>   prints the WIT world of a WebAssembly component\n');
    return file ? 0 : 2;
  }
  try {
    process.stdout.write(await componentInterfaceOfFile(resolve(file)));
    return 0;
  } catch (error) {
    if (!(error instanceof NotAComponentError)) throw error;
    process.stderr.write(`open-runtime wit: ${error.message}\n`);
    return 1;
  }
}
