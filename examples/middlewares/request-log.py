"""Logs each request's route and response status (stderr goes to the invocation's logs) and passes both on."""
import json
import sys

hook = sys.argv[1]
raw = sys.stdin.read()
data = json.loads(raw)
if hook == "before" and isinstance(data, dict):
    route = data.get("routeKey") or data.get("path") or "(not an HTTP event)"
    print("request-log: %s" % route, file=sys.stderr)
elif hook == "after" and isinstance(data, dict):
    print("request-log: answered %s" % data.get("statusCode", "(no status)"), file=sys.stderr)
elif hook == "error":
    print("request-log: failed with %s" % data.get("errorType"), file=sys.stderr)
sys.stdout.write(raw)
