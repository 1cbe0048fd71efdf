// "Show Component Interface": the WIT world of any .wasm component (what it imports and exports), as
// `wasm-tools component wit` prints it.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
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
    return await componentWit(bytes);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/^(Component)?Error:\s*/, '');
    throw new NotAComponentError(`This file looks like a component but could not be read: ${message}. It may be truncated or built by an incompatible toolchain.`);
  }
}

/** The WIT of the component at `file`; a missing or unreadable file is a NotAComponentError sentence too. */
export async function componentInterfaceOfFile(file: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new NotAComponentError(`Could not read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}. Build the component first (open-runtime build <function>).`);
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
