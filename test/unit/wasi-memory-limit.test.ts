// Linear memory capped by rewriting a core module's memory section: V8 then refuses to grow past it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limitMemory, MemoryLimitError } from '../../runner/runtimes/wasi/memory-limit.ts';

/** (module (memory (export "memory") <min> [max]) (func (export "grow") (param i32) (result i32) memory.grow)) + a custom section after. */
function moduleWithMemory(min: number, max?: number): Uint8Array {
  const limits = max === undefined ? [0x00, min] : [0x01, min, max];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    // type section: (func (param i32) (result i32))
    0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    // function section
    0x03, 0x02, 0x01, 0x00,
    // memory section
    0x05, limits.length + 1, 0x01, ...limits,
    // export section: "memory" (memory 0), "grow" (func 0)
    0x07, 0x11, 0x02, 0x06, ...Buffer.from('memory'), 0x02, 0x00, 0x04, ...Buffer.from('grow'), 0x00, 0x00,
    // code section: local.get 0; memory.grow 0; end
    0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b,
    // a custom section that must survive the rewrite
    0x00, 0x05, 0x04, ...Buffer.from('note'),
  ];
  return Uint8Array.from(bytes);
}

function instantiate(bytes: Uint8Array) {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>));
  return instance.exports as { memory: WebAssembly.Memory; grow(pages: number): number };
}

test('a memory without a maximum gets the cap: growing past it fails inside the guest', () => {
  const original = instantiate(moduleWithMemory(1));
  assert.equal(original.grow(10), 1, 'uncapped, it grows');

  const { bytes, initialPages } = limitMemory(moduleWithMemory(1), 4);
  assert.deepEqual(initialPages, [1]);
  const capped = instantiate(bytes);
  assert.equal(capped.grow(3), 1);
  assert.equal(capped.memory.buffer.byteLength, 4 * 65536);
  assert.equal(capped.grow(1), -1, 'memory.grow fails at the cap');
  assert.equal(WebAssembly.Module.customSections(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), 'note').length, 1);
});

test('a smaller maximum of its own is kept; a larger one is lowered', () => {
  const own = instantiate(limitMemory(moduleWithMemory(1, 2), 100).bytes);
  assert.equal(own.grow(1), 1);
  assert.equal(own.grow(1), -1);
  const lowered = instantiate(limitMemory(moduleWithMemory(1, 100), 3).bytes);
  assert.equal(lowered.grow(2), 1);
  assert.equal(lowered.grow(1), -1);
});

test('a module needing more than the cap to start reports its initial size; no memory section changes nothing', () => {
  assert.deepEqual(limitMemory(moduleWithMemory(8), 4).initialPages, [8]);
  const noMemory = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  assert.deepEqual(limitMemory(noMemory, 4), { bytes: noMemory, initialPages: [] });
  assert.throws(() => limitMemory(Uint8Array.from([1, 2, 3]), 4), MemoryLimitError);
});
