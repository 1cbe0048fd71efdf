// "Show Component Interface": the WIT world of any .wasm component (what it imports and exports), as
// `wasm-tools component wit` prints it.
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
