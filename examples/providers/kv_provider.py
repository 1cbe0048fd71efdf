#!/usr/bin/env python3
"""A key-value and config provider for Open Runtime components, in Python (PROVIDERS.md).

The runner starts it once and keeps it: one JSON request per line on stdin, one answer per line on stdout.
Stores live in memory, one dict per store name; a real provider would talk to Redis or DynamoDB here.
Config values come from the environment variables starting with APP_ (APP_GREETING -> greeting).
"""
import base64
import json
import os
import sys

stores = {}


def keyvalue(op, req):
    store = stores.setdefault(req["store"], {})
    key = req.get("key")
    if op == "open":
        return {}
    if op == "get":
        value = store.get(key)
        return {"value": None if value is None else base64.b64encode(value).decode()}
    if op == "set":
        store[key] = base64.b64decode(req["value"])
        return {}
    if op == "delete":
        store.pop(key, None)
        return {}
    if op == "exists":
        return {"exists": key in store}
    if op == "list-keys":
        return {"keys": sorted(store), "cursor": None}
    if op == "increment":
        value = int(store.get(key, b"0")) + int(req["delta"])
        store[key] = str(value).encode()
        return {"value": value}
    if op == "get-many":
        return {"values": [None if k not in store else base64.b64encode(store[k]).decode() for k in req["keys"]]}
    if op == "set-many":
        for k, v in req["entries"]:
            store[k] = base64.b64decode(v)
        return {}
    if op == "delete-many":
        for k in req["keys"]:
            store.pop(k, None)
        return {}
    raise ValueError(f"unknown key-value operation {op}")


def config(op, req):
    values = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("APP_")}
    if op == "get":
        return {"value": values.get(req["key"])}
    if op == "get-all":
        return {"values": values}
    raise ValueError(f"unknown config operation {op}")


for line in sys.stdin:
    request = json.loads(line)
    try:
        serve = {"keyvalue": keyvalue, "config": config}.get(request["capability"])
        if serve is None:
            raise ValueError(f"this provider does not serve {request['capability']}")
        answer = {"id": request["id"], "result": serve(request["op"], request)}
    except Exception as error:  # the runner passes the text to the component as the interface's error
        answer = {"id": request["id"], "error": str(error)}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
