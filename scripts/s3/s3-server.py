#!/usr/bin/env python3
"""An S3-compatible server for the file-load tests: moto's S3 on 127.0.0.1 (spec C.5), behind a
small WSGI layer that

* checks every request's SigV4 signature when --access-key/--secret-key are given (moto accepts
  anything by default), answering 403 InvalidAccessKeyId / SignatureDoesNotMatch as S3 does;
* can slow object reads down (POST /__control {"delay_ms": n}) so a test can cancel a running load.

Prints `listening on <port>` once it serves; runs until killed.
"""
import argparse
import hashlib
import hmac
import json
import sys
import threading
import time
import urllib.parse

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server

state = {"delay_ms": 0, "requests": 0}
lock = threading.Lock()


def s3_error(start_response, status, code, message):
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()
    start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


def uri_encode(text, keep_slash):
    safe = "-_.~" + ("/" if keep_slash else "")
    return urllib.parse.quote(text, safe=safe)


def expected_signature(environ, secret, auth):
    """The signature AWS would compute for this request (the canonical request from the WSGI view)."""
    fields = dict(part.strip().split("=", 1) for part in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    credential = fields["Credential"].split("/")
    day, region, service = credential[1], credential[2], credential[3]
    signed_names = fields["SignedHeaders"].split(";")
    path = environ.get("RAW_URI", environ.get("REQUEST_URI", environ["PATH_INFO"])).split("?", 1)[0]
    query = urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    canonical_query = "&".join(
        f"{k}={v}" for k, v in sorted((uri_encode(k, False), uri_encode(v, False)) for k, v in query)
    )
    headers = []
    for name in signed_names:
        key = "HTTP_" + name.upper().replace("-", "_")
        if name == "content-type":
            key = "CONTENT_TYPE"
        elif name == "content-length":
            key = "CONTENT_LENGTH"
        value = " ".join(environ.get(key, "").split())
        headers.append(f"{name}:{value}\n")
    payload_hash = environ.get("HTTP_X_AMZ_CONTENT_SHA256", "")
    canonical = "\n".join(
        [environ["REQUEST_METHOD"], path, canonical_query, "".join(headers), ";".join(signed_names), payload_hash]
    )
    amz_date = environ.get("HTTP_X_AMZ_DATE", "")
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return credential[0], fields["Signature"], hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class Front:
    def __init__(self, app, access_key, secret_key):
        self.app, self.access_key, self.secret_key = app, access_key, secret_key

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/__control":
            return self.control(environ, start_response)
        with lock:
            state["requests"] += 1
            delay = state["delay_ms"]
        if self.access_key is not None:
            auth = environ.get("HTTP_AUTHORIZATION", "")
            if not auth.startswith("AWS4-HMAC-SHA256 "):
                return s3_error(start_response, "403 Forbidden", "AccessDenied", "Access Denied")
            access, given, expected = expected_signature(environ, self.secret_key, auth)
            if access != self.access_key:
                return s3_error(
                    start_response, "403 Forbidden", "InvalidAccessKeyId",
                    "The AWS Access Key Id you provided does not exist in our records.")
            if not hmac.compare_digest(given, expected):
                return s3_error(
                    start_response, "403 Forbidden", "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided. "
                    "Check your key and signing method.")
        if delay and environ["REQUEST_METHOD"] == "GET" and "list-type" not in environ.get("QUERY_STRING", ""):
            time.sleep(delay / 1000)
        return self.app(environ, start_response)

    def control(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            with lock:
                state.update(json.loads(environ["wsgi.input"].read(length)))
        with lock:
            body = json.dumps(state).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--access-key")
    parser.add_argument("--secret-key")
    args = parser.parse_args()
    app = Front(DomainDispatcherApplication(create_backend_app), args.access_key, args.secret_key)
    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=QuietHandler)
    print(f"listening on {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
