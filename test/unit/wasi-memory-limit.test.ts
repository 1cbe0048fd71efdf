// Linear memory capped by rewriting a core module's memory section (V8 then refuses to grow past it), and growing
// past the cap made a trap by rewriting `memory.grow` into a call that traps when the growth failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limitMemory, MemoryLimitError } from '../../runner/runtimes/wasi/memory-limit.ts';
import { GROW_PAST_MEMORY_SIZE, trapOnFailedGrow } from '../../runner/runtimes/wasi/grow-or-trap.ts';

/** (module (memory (export "memory") <min> [max]) (func (export "grow") (param i32) (result i32) memory.grow)) + a custom section after. */
function moduleWithMemory(min: number, max?: number): Uint8Array {
  const limits = max === undefined ? [0x00, min] : [0x01, min, max];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    // type section: (func (param i32) (result i32))
    0x01,
    0x06,
    0x01,
    0x60,
    0x01,
    0x7f,
    0x01,
    0x7f,
    // function section
    0x03,
    0x02,
    0x01,
    0x00,
    // memory section
    0x05,
    limits.length + 1,
    0x01,
    ...limits,
    // export section: "memory" (memory 0), "grow" (func 0)
    0x07,
    0x11,
    0x02,
    0x06,
    ...Buffer.from('memory'),
    0x02,
    0x00,
    0x04,
    ...Buffer.from('grow'),
    0x00,
    0x00,
    // code section: local.get 0; memory.grow 0; end
    0x0a,
    0x08,
    0x01,
    0x06,
    0x00,
    0x20,
    0x00,
    0x40,
    0x00,
    0x0b,
    // a custom section that must survive the rewrite
    0x00,
    0x05,
    0x04,
    ...Buffer.from('note'),
  ];
  return Uint8Array.from(bytes);
}

function instantiate(bytes: Uint8Array) {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>));
  return instance.exports as { memory: WebAssembly.Memory; grow(pages: number): number };
}

test('a memory without a maximum gets the cap: growing past it traps in the guest', () => {
  const original = instantiate(moduleWithMemory(1));
  assert.equal(original.grow(10), 1, 'uncapped, it grows');

  const { bytes, initialPages } = limitMemory(moduleWithMemory(1), 4);
  assert.deepEqual(initialPages, [1]);
  const capped = instantiate(bytes);
  assert.equal(capped.grow(3), 1);
  assert.equal(capped.memory.buffer.byteLength, 4 * 65536);
  assert.throws(() => capped.grow(1), WebAssembly.RuntimeError, 'memory.grow past the cap traps');
  assert.equal(capped.grow(0), 4, 'growing by nothing is no failure');
  assert.equal(WebAssembly.Module.customSections(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), 'note').length, 1);
});

test('a smaller maximum of its own is kept; a larger one is lowered', () => {
  const own = instantiate(limitMemory(moduleWithMemory(1, 2), 100).bytes);
  assert.equal(own.grow(1), 1);
  assert.throws(() => own.grow(1), WebAssembly.RuntimeError);
  const lowered = instantiate(limitMemory(moduleWithMemory(1, 100), 3).bytes);
  assert.equal(lowered.grow(2), 1);
  assert.throws(() => lowered.grow(1), WebAssembly.RuntimeError);
});

test('a module needing more than the cap to start reports its initial size; no memory section changes nothing', () => {
  assert.deepEqual(limitMemory(moduleWithMemory(8), 4).initialPages, [8]);
  const noMemory = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  assert.deepEqual(limitMemory(noMemory, 4), { bytes: noMemory, initialPages: [] });
  assert.throws(() => limitMemory(Uint8Array.from([1, 2, 3]), 4), MemoryLimitError);
});

/**
 * (import "env" "f" (func)) (memory 1 2) and two functions: $grow (memory.grow) and $decoy, whose
 * `block (empty) unreachable end` holds the bytes 0x40 0x00 that a byte search would take for memory.grow.
 */
function moduleWithDecoy(): Uint8Array {
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    // types: 0 (func), 1 (func (param i32) (result i32))
    0x01,
    0x09,
    0x02,
    0x60,
    0x00,
    0x00,
    0x60,
    0x01,
    0x7f,
    0x01,
    0x7f,
    // import env.f: func of type 0 (function index 0)
    0x02,
    0x09,
    0x01,
    0x03,
    ...Buffer.from('env'),
    0x01,
    ...Buffer.from('f'),
    0x00,
    0x00,
    // functions 1 ($grow, type 1) and 2 ($decoy, type 0)
    0x03,
    0x03,
    0x02,
    0x01,
    0x00,
    0x05,
    0x04,
    0x01,
    0x01,
    0x01,
    0x02,
    // exports: grow = func 1, decoy = func 2
    0x07,
    0x10,
    0x02,
    0x04,
    ...Buffer.from('grow'),
    0x00,
    0x01,
    0x05,
    ...Buffer.from('decoy'),
    0x00,
    0x02,
    0x0a,
    0x0f,
    0x02,
    0x06,
    0x00,
    0x20,
    0x00,
    0x40,
    0x00,
    0x0b,
    0x06,
    0x00,
    0x02,
    0x40,
    0x00,
    0x0b,
    0x0b,
  ]);
}

test('only real memory.grow instructions are rewritten; imported functions keep their indices', () => {
  const original = moduleWithDecoy();
  const rewritten = trapOnFailedGrow(original);
  assert.notDeepEqual(rewritten, original);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(rewritten as Uint8Array<ArrayBuffer>), { env: { f: () => undefined } });
  const { grow, decoy } = instance.exports as { grow(pages: number): number; decoy(): void };
  assert.equal(grow(1), 1);
  assert.throws(
    () => grow(1),
    (error: Error) => error instanceof WebAssembly.RuntimeError && error.stack!.includes(GROW_PAST_MEMORY_SIZE),
    'past its own maximum of 2 pages, a trap named in the stack',
  );
  assert.throws(() => decoy(), /unreachable/, 'the decoy still runs its own code');
});

test('a module that never grows memory, or uses an instruction the decoder does not know, is left as it is', () => {
  const noGrow = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
  ]);
  assert.equal(trapOnFailedGrow(noGrow), noGrow);
  // A body starting with a GC-proposal instruction (0xfb ...) before its memory.grow.
  const unknown = moduleWithMemory(1);
  const patched = Uint8Array.from(unknown);
  const body = patched.indexOf(0x20, patched.indexOf(0x0a, 30));
  patched[body] = 0xfb;
  assert.equal(trapOnFailedGrow(patched), patched);
});

test("a module's own name section keeps its names and gains the grow function's", () => {
  // moduleWithDecoy plus a name section naming function 1 "mygrow" (module name subsection 0 first).
  const names = [0x00, 0x02, 0x01, 0x6d, 0x01, 0x09, 0x01, 0x01, 0x06, ...Buffer.from('mygrow')];
  const custom = [0x04, ...Buffer.from('name'), ...names];
  const module = Uint8Array.from([...moduleWithDecoy(), 0x00, custom.length, ...custom]);
  const rewritten = trapOnFailedGrow(module);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(rewritten as Uint8Array<ArrayBuffer>), { env: { f: () => undefined } });
  const { grow } = instance.exports as { grow(pages: number): number };
  assert.equal(grow(1), 1);
  assert.throws(
    () => grow(1),
    (error: Error) => error.stack!.includes(GROW_PAST_MEMORY_SIZE) && error.stack!.includes('mygrow'),
    'both names in the stack',
  );
});
