#!/usr/bin/env bash
# Debian packages Open Runtime's tests and `npm start` need (run as root): the AWS CLI v2 for the Invoke API tests,
# Chromium for the E2E tests, headers for code-server's native modules, Python and curl for the example functions,
# clang + wasi-libc for C components, jq for the bash key-value provider example, Go for the Go example, qemu-user for
# running arm64 builds on x86_64, gcc for the runner's malloc_trim addon (scripts/build.ts), debugpy, Delve and lldb for
# debugging Python, Go, and Rust/C/C++ functions (debugpy and Delve serve DAP themselves, lldb through lldb-vscode).
set -euo pipefail
# apt needs root: as root (CI, a fresh container without sudo) it runs as it is; otherwise through sudo.
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-system-deps: run this as root (apt-get needs it), or install sudo." >&2; exit 1; }
  exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  awscli chromium libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev \
  python3 make gcc g++ cmake curl ca-certificates git \
  clang lld wasi-libc libclang-rt-dev-wasm32 golang-go qemu-user-static zip unzip jq \
  python3-debugpy delve lldb
