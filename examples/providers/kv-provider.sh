#!/usr/bin/env bash
# A key-value provider for Open Runtime components in bash (PROVIDERS.md): one file per key under
# $KV_DIR/<store>/ (default ./.kv-data), values kept base64 as they arrive. Needs jq.
# Long-lived like any provider: it reads one JSON request per line until stdin closes.
set -u
dir="${KV_DIR:-./.kv-data}"
answer() { printf '{"id":%s,"result":%s}\n' "$1" "$2"; }
fail() { printf '{"id":%s,"error":%s}\n' "$1" "$(jq -Rn --arg m "$2" '$m')"; }
while IFS= read -r line; do
  id=$(jq -r .id <<<"$line")
  cap=$(jq -r .capability <<<"$line")
  op=$(jq -r .op <<<"$line")
  store=$(jq -r '.store // ""' <<<"$line")
  key=$(jq -r '.key // ""' <<<"$line" | base64 -w0 | tr '/+' '_-')
  [ "$cap" = keyvalue ] || { fail "$id" "this provider serves keyvalue only"; continue; }
  mkdir -p "$dir/$store"
  file="$dir/$store/$key"
  case "$op" in
    open) answer "$id" '{}' ;;
    get) if [ -f "$file" ]; then answer "$id" "{\"value\":\"$(cat "$file")\"}"; else answer "$id" '{"value":null}'; fi ;;
    set) jq -r .value <<<"$line" >"$file"; answer "$id" '{}' ;;
    delete) rm -f "$file"; answer "$id" '{}' ;;
    exists) if [ -f "$file" ]; then answer "$id" '{"exists":true}'; else answer "$id" '{"exists":false}'; fi ;;
    increment)
      delta=$(jq -r .delta <<<"$line")
      now=0; [ -f "$file" ] && now=$(base64 -d <"$file")
      next=$((now + delta)); printf '%s' "$next" | base64 -w0 >"$file"
      answer "$id" "{\"value\":$next}" ;;
    list-keys)
      keys=$(for f in "$dir/$store"/*; do [ -e "$f" ] && basename "$f" | tr '_-' '/+' | base64 -d && echo; done | jq -Rsc 'split("\n") | map(select(. != ""))')
      answer "$id" "{\"keys\":$keys,\"cursor\":null}" ;;
    *) fail "$id" "bash provider: $op is not implemented (use the Python provider for batches)" ;;
  esac
done
