// The files a component sees: only its preopened directories, read-only unless a preopen says otherwise, and
// nothing outside them, symlinks included (the WASI shim alone follows a symlink inside a preopen to wherever
// it points on the host). Runs in the worker threads; the shim's Descriptor class is shared by every instance
// of the worker, so the policy is attached to each descriptor object.
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import * as shimFilesystem from '@bytecodealliance/preview2-shim/filesystem';

interface Place {
  /** Host path of this descriptor. */
  host: string;
  /** The preopen it was reached from, lexically and with symlinks resolved. */
  root: string;
  realRoot: string;
  readOnly: boolean;
}

type Method = (this: object, ...args: unknown[]) => unknown;
interface DescriptorClass {
  prototype: Record<string, Method>;
}
interface FilesystemShim {
  types: { Descriptor: DescriptorClass };
  createFilesystem(opts: { preopens: Record<string, string> }): { types: unknown; preopens: { getDirectories(): Array<[object, string]> } };
}

const shim = shimFilesystem as unknown as FilesystemShim;
const places = new WeakMap<object, Place>();

export interface Preopen {
  host: string;
  guest: string;
  readOnly: boolean;
}

/** The `wasi:filesystem` imports of one instance: its preopens, nothing else. */
export function guestFilesystem(preopens: Preopen[]): { types: unknown; preopens: { getDirectories(): Array<[object, string]> } } {
  const byGuest: Record<string, string> = {};
  for (const p of preopens) byGuest[p.guest] = p.host;
  const fs = shim.createFilesystem({ preopens: byGuest });
  for (const [descriptor, guest] of fs.preopens.getDirectories()) {
    const preopen = preopens.find((p) => p.guest === guest)!;
    const root = resolve(preopen.host);
    places.set(descriptor, { host: root, root, realRoot: existsSync(root) ? realpathSync(root) : root, readOnly: preopen.readOnly });
  }
  return fs;
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Resolves symlinks as far as the path exists; undefined for a dangling symlink (it could point anywhere). */
function realpathAsFarAsExists(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    try {
      if (lstatSync(path).isSymbolicLink()) return undefined;
    } catch {
      // Doesn't exist: resolve the parent.
    }
    const parent = dirname(path);
    if (parent === path) return path;
    const real = realpathAsFarAsExists(parent);
    return real === undefined ? undefined : join(real, basename(path));
  }
}

/** The host path `path` names from descriptor `place`, or a thrown WASI error code when it leaves the preopen. */
function reach(place: Place | undefined, path: unknown): string {
  if (!place || typeof path !== 'string' || isAbsolute(path)) throw 'not-permitted';
  const target = resolve(place.host, path);
  if (!inside(place.root, target)) throw 'not-permitted';
  const real = realpathAsFarAsExists(target);
  if (real === undefined || !inside(place.realRoot, real)) throw 'not-permitted';
  return target;
}

function writable(place: Place | undefined): void {
  if (!place) throw 'not-permitted';
  if (place.readOnly) throw 'read-only';
}

interface OpenFlags {
  create?: boolean;
  truncate?: boolean;
}
interface DescriptorFlags {
  write?: boolean;
  mutateDirectory?: boolean;
}

let installed = false;

/** Puts the checks in front of the shim's Descriptor methods, once per worker. */
export function installFilesystemPolicy(): void {
  if (installed) return;
  installed = true;
  const proto = shim.types.Descriptor.prototype;
  const wrap = (name: string, check: (self: object, args: unknown[]) => void, after?: (self: object, args: unknown[], result: unknown) => void) => {
    const original = proto[name];
    if (typeof original !== 'function') return;
    proto[name] = function (this: object, ...args: unknown[]) {
      check(this, args);
      const result = original.apply(this, args);
      after?.(this, args, result);
      return result;
    };
  };
  const place = (self: object) => places.get(self);

  wrap(
    'openAt',
    (self, [, path, openFlags, descriptorFlags]) => {
      reach(place(self), path);
      const o = (openFlags ?? {}) as OpenFlags;
      const d = (descriptorFlags ?? {}) as DescriptorFlags;
      if (o.create || o.truncate || d.write || d.mutateDirectory) writable(place(self));
    },
    (self, [, path], result) => {
      const parent = place(self)!;
      if (result && typeof result === 'object') places.set(result, { ...parent, host: resolve(parent.host, path as string) });
    },
  );
  for (const name of ['statAt', 'metadataHashAt']) wrap(name, (self, [, path]) => void reach(place(self), path));
  wrap('readlinkAt', (self, [path]) => void reach(place(self), path));
  for (const name of ['createDirectoryAt', 'removeDirectoryAt', 'unlinkFileAt']) {
    wrap(name, (self, [path]) => {
      reach(place(self), path);
      writable(place(self));
    });
  }
  wrap('setTimesAt', (self, [, path]) => {
    reach(place(self), path);
    writable(place(self));
  });
  wrap('symlinkAt', (self, [, path]) => {
    reach(place(self), path);
    writable(place(self));
  });
  wrap('renameAt', (self, [oldPath, newDescriptor, newPath]) => {
    reach(place(self), oldPath);
    writable(place(self));
    reach(place(newDescriptor as object), newPath);
    writable(place(newDescriptor as object));
  });
  wrap('linkAt', (self, [, oldPath, newDescriptor, newPath]) => {
    reach(place(self), oldPath);
    reach(place(newDescriptor as object), newPath);
    writable(place(newDescriptor as object));
  });
  for (const name of ['write', 'writeViaStream', 'appendViaStream', 'setSize', 'setTimes']) wrap(name, (self) => writable(place(self)));

  // A preopen has no open mode of its own in the shim; the guest asks (wasi-libc does) and must get flags.
  const getFlags = proto.getFlags!;
  proto.getFlags = function (this: object) {
    const flags = getFlags.call(this);
    const p = place(this);
    if (flags !== undefined || !p) return flags;
    return { read: true, write: false, mutateDirectory: !p.readOnly };
  };
}
