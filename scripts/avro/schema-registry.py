#!/usr/bin/env python3
"""A small Confluent Schema Registry on 127.0.0.1, for the Avro tests and the Avro walkthrough.

It speaks the part of the registry's REST API that producers and Routine Load use:

  GET  /schemas/ids/<id>            -> {"schema": "<writer schema JSON>"}  (404 error_code 40403 if unknown)
  POST /subjects/<subject>/versions -> {"id": n}  (body {"schema": "..."}; the same text gets the same id)
  GET  /subjects                    -> ["subject", ...]

and, for tests, two endpoints that are never authenticated:

  POST /_control  {"fail_status": 500, "fail_count": 3}   the next 3 lookups answer 500
                  {"schemas": {"7": "\\"bytes\\""}}        registers schemas under fixed ids
  GET  /_stats    -> {"requests": {"<id>": lookups}, "authorization": [headers seen]}

Usage: schema-registry.py [--port N] [--user U --password P]
Prints "listening on <port>" once it accepts connections. With --user/--password every API call
must carry that HTTP Basic authorization (401 otherwise). Standard library only.
"""
import argparse
import base64
import json
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
schemas = {}  # id -> schema text
subjects = {}  # subject -> [ids]
lookups = {}  # id -> count
authorizations = []
failures = {"status": 0, "count": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    credentials = None

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def authorized(self):
        header = self.headers.get("Authorization")
        with lock:
            authorizations.append(header)
        if self.credentials is None:
            return True
        expected = "Basic " + base64.b64encode(self.credentials.encode()).decode()
        if header == expected:
            return True
        self.answer(401, {"error_code": 401, "message": "Unauthorized"})
        return False

    def do_GET(self):
        if self.path == "/_stats":
            with lock:
                self.answer(200, {"requests": {str(k): v for k, v in lookups.items()}, "authorization": authorizations})
            return
        if not self.authorized():
            return
        match = re.fullmatch(r"/schemas/ids/(-?\d+)/?", self.path)
        if match:
            schema_id = int(match.group(1))
            with lock:
                lookups[schema_id] = lookups.get(schema_id, 0) + 1
                if failures["count"] > 0:
                    failures["count"] -= 1
                    status = failures["status"]
                    self.answer(status, {"error_code": status * 100, "message": "injected failure"})
                    return
                text = schemas.get(schema_id)
            if text is None:
                self.answer(404, {"error_code": 40403, "message": "Schema not found"})
            else:
                self.answer(200, {"schema": text})
            return
        if self.path.rstrip("/") == "/subjects":
            with lock:
                self.answer(200, sorted(subjects))
            return
        self.answer(404, {"error_code": 404, "message": "Not found"})

    def do_POST(self):
        if self.path == "/_control":
            request = self.body()
            with lock:
                if "fail_status" in request:
                    failures["status"] = int(request["fail_status"])
                    failures["count"] = int(request.get("fail_count", 1))
                for key, text in request.get("schemas", {}).items():
                    schemas[int(key)] = text
            self.answer(200, {"ok": True})
            return
        if not self.authorized():
            return
        match = re.fullmatch(r"/subjects/([^/]+)/versions/?", self.path)
        if not match:
            self.answer(404, {"error_code": 404, "message": "Not found"})
            return
        text = self.body().get("schema")
        if not isinstance(text, str):
            self.answer(422, {"error_code": 42201, "message": "Invalid schema"})
            return
        with lock:
            schema_id = next((k for k, v in schemas.items() if v == text), None)
            if schema_id is None:
                schema_id = max(schemas, default=0) + 1
                schemas[schema_id] = text
            subjects.setdefault(match.group(1), [])
            if schema_id not in subjects[match.group(1)]:
                subjects[match.group(1)].append(schema_id)
        self.answer(200, {"id": schema_id})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()
    # A parent may have left SIGTERM blocked or ignored (test harnesses do): stop on it.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if args.user is not None:
        Handler.credentials = f"{args.user}:{args.password or ''}"
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
