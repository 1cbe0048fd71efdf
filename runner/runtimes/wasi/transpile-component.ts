// Turns a component into JS glue + core modules with jco (in a `prepare` worker thread). The glue is generated
// with `instantiation: 'async'`: it imports nothing by itself, so every WASI import is the one the runner hands
// to each instance. Files are written to a temporary folder and renamed into place, so a reader never sees a
// half-written cache entry.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PrepareRequest, PrepareResult } from './messages.ts';

export async function transpileComponent({ bytes, outDir }: PrepareRequest): Promise<PrepareResult> {
  const { componentWit } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  let wit: string;
  try {
    wit = await componentWit(bytes);
  } catch (error) {
    return { ok: false, stage: 'wit', message: messageOf(error) };
  }
  const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
  let files: Record<string, Uint8Array>;
  try {
    ({ files } = await transpileBytes(bytes, {
      name: 'component',
      instantiation: 'async',
      emitTypescriptDeclarations: false,
      minify: false,
      optimize: false,
      // Every core module as its own file: the runner compiles them once and caps their memory.
      base64Cutoff: 0,
    }));
  } catch (error) {
    return { ok: false, stage: 'transpile', message: messageOf(error) };
  }
  const temp = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(temp, { recursive: true });
  const coreFiles: string[] = [];
  let glue = '';
  for (const [path, content] of Object.entries(files)) {
    const name = path.split('/').pop()!;
    if (name.endsWith('.wasm')) coreFiles.push(name);
    else if (name === 'component.js') glue = name;
    else continue;
    await writeFile(join(temp, name), content);
  }
  await writeFile(join(temp, 'component.wit'), wit);
  await writeFile(join(temp, 'meta.json'), JSON.stringify({ coreFiles, glue }));
  await mkdir(dirname(outDir), { recursive: true });
  try {
    await rename(temp, outDir);
  } catch {
    // Another runner prepared the same component meanwhile: its copy is as good as ours.
    await rm(temp, { recursive: true, force: true });
  }
  return { ok: true, wit, coreFiles, glue };
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // wasm-tools errors come wrapped as "ComponentError: ..." with a cause chain; keep the readable part.
  return text.replace(/^(Component)?Error:\s*/, '').trim();
}
