// Component middlewares (`middlewares/<name>.wasm`, the world in wit/middleware/middleware.wit) on the WASI
// runner's own machinery: the same transpile cache, compiled modules and worker threads as component functions,
// and like them a fresh instance per call, a deadline that stops a runaway guest (its worker is replaced), and
// imports checked on load. runner/middleware/ calls `callMiddleware` for each hook; this file answers with the
// hook's `answer` variant or throws a sentence saying why there is none.
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ComponentMiddlewareHost, ComponentAnswer } from '../../middleware/component.ts';
import type { ComponentRunner } from './index.ts';
import { ComponentLoadError, type CompiledComponent } from './component-store.ts';
import type { GuestSettings } from './messages.ts';
import type { JobEnd } from './worker-pool.ts';
import { checkMiddlewareComponent, MIDDLEWARE_EXPORTS } from './world.ts';
import { NO_CAPABILITIES, guestCapabilities } from './capabilities/grants.ts';
import { ComponentSettings } from '../../functions/model.ts';
import type { MiddlewareCapabilities } from '../../middleware/manifest.ts';
import type { GuestCapabilities } from './messages.ts';

/** Linear memory a middleware may use: a middleware transforms one event, it needs far less than a function. */
export const MIDDLEWARE_MEMORY_MB = 128;

/** What is kept per .wasm file: its compiled modules, valid while the file keeps its size, mtime and inode. */
interface Loaded {
  compiled: CompiledComponent;
  mtimeMs: number;
  size: number;
  ino: number;
}

/**
 * The host for createMiddlewareRunner({ components }), running on `runner`'s worker pool and transpile cache (so
 * middlewares add no threads of their own, and closing the runner stops them too).
 */
export function createComponentMiddlewareHost(runner: ComponentRunner): ComponentMiddlewareHost {
  const { store, pool } = runner.shared;
  const loaded = new Map<string, Loaded>();

  async function load(wasmPath: string, shown: string, grants: Partial<MiddlewareCapabilities>): Promise<CompiledComponent> {
    const info = statSync(wasmPath, { throwIfNoEntry: false });
    const known = loaded.get(wasmPath);
    if (known && info && known.mtimeMs === info.mtimeMs && known.size === info.size && known.ino === info.ino) return known.compiled;
    const { component } = await store.prepare(wasmPath, shown, 'middleware');
    const check = checkMiddlewareComponent(component.world, shown, grants);
    if (!check.ok) throw new ComponentLoadError(check.errorType, check.errorMessage);
    const compiled = await store.compile(component, MIDDLEWARE_MEMORY_MB, shown).compiled;
    // A rebuilt middleware: workers drop the old modules unless another middleware file has the same bytes.
    if (known && known.compiled.key !== compiled.key && ![...loaded.values()].some((l) => l !== known && l.compiled.key === known.compiled.key)) {
      store.dropCompiled(known.compiled.key);
      pool.forget(slotOf(wasmPath), known.compiled.key);
    }
    loaded.set(wasmPath, { compiled, mtimeMs: info?.mtimeMs ?? 0, size: info?.size ?? 0, ino: info?.ino ?? 0 });
    return compiled;
  }

  return {
    async callMiddleware(wasmPath, exportName, input, ctx, opts) {
      const name = basename(wasmPath).replace(/\.wasm$/, '');
      const shown = `${basename(dirname(wasmPath))}/${basename(wasmPath)} (middleware ${name})`;
      let compiled: CompiledComponent;
      try {
        compiled = await load(wasmPath, shown, opts.capabilities ?? {});
      } catch (error) {
        loaded.delete(wasmPath);
        throw new Error(error instanceof ComponentLoadError ? `${error.errorType}: ${error.message}` : String(error));
      }
      const settings: GuestSettings = {
        functionName: ctx.functionName,
        functionArn: '',
        memorySizeMB: MIDDLEWARE_MEMORY_MB,
        world: 'middleware',
        exportName: MIDDLEWARE_EXPORTS[exportName],
        reuseInstance: false,
        environment: opts.environment,
        preopens: [],
        allowedHosts: [],
        capabilities: opts.capabilities ? middlewareCapabilities(wasmPath, name, opts.capabilities) : NO_CAPABILITIES,
      };
      // The end of what it wrote on stderr: where a guest language says why it trapped (an uncaught exception).
      let stderrTail: string[] = [];
      const end = await new Promise<JobEnd>((resolve) => {
        pool.run({
          functionName: slotOf(wasmPath),
          reuseInstance: false,
          timeoutMs: opts.timeoutMs,
          component: compiled,
          settings,
          start: () => ({
            payload: typeof input === 'string' ? input : JSON.stringify(input),
            requestId: ctx.requestId,
            deadlineMs: Number(ctx.deadlineMs),
            clientContext: undefined,
          }),
          line(stream, line) {
            opts.log(`[${name}] ${line}`);
            if (stream === 'stderr' && line.trim()) stderrTail = [...stderrTail.slice(-4), line.trim()];
          },
          end: resolve,
        });
      });
      if (end.kind === 'timeout')
        throw new Error(
          `it did not answer within its ${opts.timeoutMs} ms timeout, so the runner stopped it (raise "timeoutMs" in middlewares/${name}.json if it needs longer)`,
        );
      if (end.kind === 'crash') throw new Error(end.message);
      if (!end.result.ok) {
        const said = stderrTail.length ? ` Its stderr: ${stderrTail.join(' | ')}` : '';
        throw new Error(`${end.result.errorType}: ${end.result.errorMessage.replace(/\.$/, '')}.${said}`);
      }
      return readAnswer(end.result.body, exportName);
    },
  };
}

/**
 * What a middleware's worker needs for the capabilities its manifest grants: paths relative to its folder, local
 * stores in the project's .open-runtime/keyvalue/ (the project: the folder holding middlewares/), shared with the
 * functions that open the same store names.
 */
function middlewareCapabilities(wasmPath: string, name: string, grants: MiddlewareCapabilities): GuestCapabilities {
  const folder = dirname(wasmPath);
  const settings = ComponentSettings.parse(grants);
  return guestCapabilities(
    { name: `middleware ${name}`, codeUri: folder, source: { file: join(dirname(folder), 'template.yaml'), line: 0 } } as never,
    settings,
  );
}

/** The pool's name for a middleware's jobs (instances are never kept, so it only scopes `forget`). */
function slotOf(wasmPath: string): string {
  return `middleware ${wasmPath}`;
}

function readAnswer(body: string, exportName: string): ComponentAnswer {
  const answer = JSON.parse(body) as { tag?: unknown; val?: unknown };
  if ((answer.tag === 'next' || answer.tag === 'respond') && typeof answer.val === 'string') return { tag: answer.tag, val: answer.val };
  if (answer.tag === 'fail' && answer.val && typeof answer.val === 'object') {
    const { errorType, errorMessage } = answer.val as { errorType?: unknown; errorMessage?: unknown };
    return { tag: 'fail', val: { errorType: String(errorType ?? 'Error'), errorMessage: String(errorMessage ?? '') } };
  }
  // The component model's lifting makes this unreachable for a valid component; say so if it ever happens.
  throw new Error(`its ${exportName} export returned ${body.slice(0, 200)}, which is not an answer (next, respond or fail)`);
}
