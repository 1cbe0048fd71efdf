// NodeNative: a handler with a native dependency. @node-rs/crc32 is a Rust addon published as one prebuilt
// binary per platform (optionalDependencies such as @node-rs/crc32-linux-arm64-gnu), so the package must be
// installed for the platform the function runs on, not the one it is built on:
//
//   open-runtime build NodeNative --arch arm64   # node_modules/@node-rs/crc32-linux-arm64-gnu in the zip
//
// Run it locally after `npm install` in this folder (which installs this machine's binary).
import { crc32, crc32c } from '@node-rs/crc32';

export const handler = async (event) => {
  const text = typeof event?.text === 'string' ? event.text : 'hello';
  return {
    text,
    crc32: crc32(text).toString(16).padStart(8, '0'),
    crc32c: crc32c(text).toString(16).padStart(8, '0'),
    architecture: process.arch,
  };
};
