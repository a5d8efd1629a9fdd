#!/usr/bin/env python3
"""A Kafka listener with TLS and SASL in front of librdkafka's mock cluster, for tests only
(spec formats-security-files B.6): the mock speaks only plaintext, so this proxy terminates TLS
(stdlib ssl) and answers SaslHandshake / SaslAuthenticate itself (PLAIN, SCRAM-SHA-256,
SCRAM-SHA-512), then forwards every other frame to the mock broker unchanged, except:

  * ApiVersions responses gain API keys 17 (SaslHandshake) and 36 (SaslAuthenticate);
  * Metadata responses (v0-v4, what librdkafka 2.0 sends) and FindCoordinator responses (v0-v2)
    name the proxy as the broker.

Usage: kafka_security_proxy.py --broker HOST:PORT [--tls-cert C --tls-key K] [--user U --password P]
Prints "listening on <port>" when ready. Without --user there is no SASL step; without --tls-cert no TLS.
Loopback only; one mock broker.
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import os
import signal
import ssl
import struct
import sys

SASL_HANDSHAKE, SASL_AUTHENTICATE, API_VERSIONS, METADATA, FIND_COORDINATOR = 17, 36, 18, 3, 10
SCRAM = {"SCRAM-SHA-256": hashlib.sha256, "SCRAM-SHA-512": hashlib.sha512}


def read_string(data, at):
    (length,) = struct.unpack_from(">h", data, at)
    at += 2
    if length < 0:
        return None, at
    return data[at:at + length].decode(), at + length


def string(text):
    if text is None:
        return struct.pack(">h", -1)
    raw = text.encode()
    return struct.pack(">h", len(raw)) + raw


def kafka_bytes(raw):
    return struct.pack(">i", len(raw)) + raw


class Proxy:
    def __init__(self, args):
        self.broker_host, broker_port = args.broker.rsplit(":", 1)
        self.broker_port = int(broker_port)
        self.user, self.password = args.user, args.password
        self.port = 0
        self.tls = None
        if args.tls_cert:
            self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls.load_cert_chain(args.tls_cert, args.tls_key)

    async def serve(self):
        server = await asyncio.start_server(self.client, "127.0.0.1", 0, ssl=self.tls)
        self.port = server.sockets[0].getsockname()[1]
        print(f"listening on {self.port}", flush=True)
        async with server:
            await server.serve_forever()

    async def client(self, reader, writer):
        upstream_reader, upstream_writer = await asyncio.open_connection(self.broker_host, self.broker_port)
        pending = {}  # correlation id -> (api key, version) of requests forwarded upstream
        authenticated = self.user is None
        scram = None

        async def downstream():
            try:
                while True:
                    frame = await read_frame(upstream_reader)
                    (correlation,) = struct.unpack_from(">i", frame, 0)
                    api_key, version = pending.pop(correlation, (None, None))
                    if api_key == API_VERSIONS:
                        frame = self.with_sasl_apis(frame)
                    elif api_key == METADATA:
                        frame = self.rewritten_metadata(frame, version)
                    elif api_key == FIND_COORDINATOR:
                        frame = self.rewritten_coordinator(frame, version)
                    writer.write(struct.pack(">i", len(frame)) + frame)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()

        relay = asyncio.ensure_future(downstream())
        try:
            while True:
                frame = await read_frame(reader)
                api_key, version, correlation = struct.unpack_from(">hhi", frame, 0)
                _, body_at = read_string(frame, 8)  # client id
                if api_key == SASL_HANDSHAKE:
                    mechanism, _ = read_string(frame, body_at)
                    supported = ["PLAIN", *SCRAM]
                    error = 0 if mechanism in supported else 33  # UNSUPPORTED_SASL_MECHANISM
                    scram = SCRAM.get(mechanism) and (mechanism, SCRAM[mechanism])
                    body = struct.pack(">h", error) + struct.pack(">i", len(supported))
                    body += b"".join(string(m) for m in supported)
                    await self.reply(writer, correlation, body)
                    continue
                if api_key == SASL_AUTHENTICATE:
                    (length,) = struct.unpack_from(">i", frame, body_at)
                    token = frame[body_at + 4:body_at + 4 + length]
                    if scram:
                        ok, answer, scram_state = self.scram_step(scram, token)
                        scram = scram_state or scram
                    else:
                        ok, answer = self.plain(token), b""
                    if ok is None:  # SCRAM needs another round
                        ok, message = True, None
                    elif ok:
                        authenticated, message = True, None
                    else:
                        message = "Authentication failed: Invalid username or password"
                    body = struct.pack(">h", 0 if ok else 58) + string(message) + kafka_bytes(answer)
                    if version >= 1:
                        body += struct.pack(">q", 0)
                    await self.reply(writer, correlation, body)
                    continue
                if not authenticated and api_key != API_VERSIONS:
                    break  # a broker requiring SASL drops unauthenticated requests
                pending[correlation] = (api_key, version)
                upstream_writer.write(struct.pack(">i", len(frame)) + frame)
                await upstream_writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            relay.cancel()
            upstream_writer.close()
            writer.close()

    async def reply(self, writer, correlation, body):
        frame = struct.pack(">i", correlation) + body
        writer.write(struct.pack(">i", len(frame)) + frame)
        await writer.drain()

    def plain(self, token):
        parts = token.split(b"\0")
        return len(parts) == 3 and parts[1].decode() == self.user and parts[2].decode() == self.password

    def scram_step(self, scram, token):
        """One SCRAM round (RFC 5802): client-first -> server-first; client-final -> server-final."""
        mechanism, hash_function = scram[0], scram[1]
        text = token.decode()
        if len(scram) == 2:  # client-first-message: n,,n=user,r=nonce
            bare = text.split(",", 2)[2]
            fields = dict(item.split("=", 1) for item in bare.split(","))
            salt, iterations = os.urandom(16), 4096
            nonce = fields["r"] + base64.b64encode(os.urandom(18)).decode()
            first = f"r={nonce},s={base64.b64encode(salt).decode()},i={iterations}"
            state = (mechanism, hash_function, fields.get("n"), bare, first, salt, iterations)
            return None, first.encode(), state
        _, _, user, client_first_bare, server_first, salt, iterations = scram
        fields = dict(item.split("=", 1) for item in text.split(","))
        without_proof = text[:text.rindex(",p=")]
        salted = hashlib.pbkdf2_hmac(hash_function().name, self.password.encode(), salt, iterations)
        client_key = hmac.new(salted, b"Client Key", hash_function).digest()
        stored_key = hash_function(client_key).digest()
        auth_message = f"{client_first_bare},{server_first},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, hash_function).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        if user != self.user or base64.b64decode(fields.get("p", "")) != proof:
            return False, b"", None
        server_key = hmac.new(salted, b"Server Key", hash_function).digest()
        verifier = base64.b64encode(hmac.new(server_key, auth_message, hash_function).digest()).decode()
        return True, f"v={verifier}".encode(), None

    def with_sasl_apis(self, frame):
        """ApiVersions response (v0-v2): error, [api key, min, max], [throttle]: two keys appended.
        An error answer (UNSUPPORTED_VERSION to librdkafka's first, v3 request) passes unchanged: the
        client retries with v2."""
        (error,) = struct.unpack_from(">h", frame, 4)
        if error != 0:
            return frame
        (count,) = struct.unpack_from(">i", frame, 6)
        end = 10 + count * 6
        keys = {struct.unpack_from(">h", frame, 10 + i * 6)[0] for i in range(count)}
        extra = b""
        for key, low, high in ((SASL_HANDSHAKE, 0, 1), (SASL_AUTHENTICATE, 0, 1)):
            if key not in keys:
                extra += struct.pack(">hhh", key, low, high)
                count += 1
        return frame[:6] + struct.pack(">i", count) + frame[10:end] + extra + frame[end:]

    def rewritten_coordinator(self, frame, version):
        """FindCoordinator response v0-v2: [throttle], error, [error message], node, host, port."""
        at = 4
        if version >= 1:
            at += 4 + 2
            _, at = read_string(frame, at)
        else:
            at += 2
        node_end = at + 4
        _, host_end = read_string(frame, node_end)
        return frame[:node_end] + string("127.0.0.1") + struct.pack(">i", self.port) + frame[host_end + 4:]

    def rewritten_metadata(self, frame, version):
        """Metadata response v0-v4: every broker becomes this proxy."""
        at = 4 + (4 if version >= 3 else 0)
        (brokers,) = struct.unpack_from(">i", frame, at)
        out = frame[:at + 4]
        at += 4
        for _ in range(brokers):
            (node,) = struct.unpack_from(">i", frame, at)
            _, at = read_string(frame, at + 4)
            at += 4  # port
            out += struct.pack(">i", node) + string("127.0.0.1") + struct.pack(">i", self.port)
            if version >= 1:
                rack, after = read_string(frame, at)
                out += frame[at:after]
                at = after
        return out + frame[at:]


async def read_frame(reader):
    (size,) = struct.unpack(">i", await reader.readexactly(4))
    return await reader.readexactly(size)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--user")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    asyncio.run(Proxy(args).serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
