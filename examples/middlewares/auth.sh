#!/usr/bin/env bash
# A bearer-token check as a runner-level middleware (runner/middleware/PROTOCOL.md): before the handler, an HTTP
# event without "authorization: Bearer demo" is answered 401 right away; the handler never runs.
set -euo pipefail
input="$(cat)"
if [[ "$input" == *'"authorization":"Bearer demo"'* || "$input" == *'"authorization": "Bearer demo"'* ]]; then
  printf '%s' "$input"
else
  echo "auth: no valid bearer token, answering 401" >&2
  echo '{"$response":{"statusCode":401,"headers":{"content-type":"application/json"},"body":"{\"message\":\"Unauthorized: send authorization: Bearer demo\"}"}}'
fi
