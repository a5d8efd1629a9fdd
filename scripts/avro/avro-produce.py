#!/usr/bin/env python3
"""Encodes records as Confluent-framed Avro (magic byte 0, 4-byte big-endian schema id, the datum
written by fastavro's schemaless_writer) and prints one message per line in hex, for
`sluice produce --hex`:

  avro-produce.py --registry http://127.0.0.1:8081 --subject events-value --schema s.avsc < records.jsonl \\
      | sluice produce --hex --brokers 127.0.0.1:9092 --topic events

--schema is a file or the JSON text itself. With --registry the schema is registered under
--subject (default <name>-value) and the registry's id is used; with --id, that id is used as is.
Records are JSON objects, one per line (stdin or --records FILE); --generate-events N writes the
events rows of the benchmarks instead (the events schema: see EVENTS_SCHEMA).
"""
import argparse
import base64
import datetime
import io
import json
import struct
import sys
import urllib.parse
import urllib.request

import fastavro

EVENTS_SCHEMA = {
    "type": "record",
    "name": "event",
    "fields": [
        {"name": "event_id", "type": "long"},
        {"name": "user_id", "type": "long"},
        {"name": "event_time", "type": "string"},
        {"name": "event_date", "type": "string"},
        {"name": "country", "type": "string"},
        {"name": "device", "type": "string"},
        {"name": "url", "type": "string"},
        {"name": "amount", "type": "string"},
        {"name": "quantity", "type": "int"},
        {"name": "is_member", "type": "boolean"},
    ],
}
DEVICES = ["ios", "android", "web", "tv", "car"]
EPOCH = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)


def event(i):
    """The same values as Sluice's EventGenerator (and scripts/bench_load.py) for event i."""
    moment = EPOCH + datetime.timedelta(seconds=i * 3)
    cents = (i * 31) % 100_000
    return {
        "event_id": i,
        "user_id": (i * 7919) % 1_000_000,
        "event_time": moment.strftime("%Y-%m-%d %H:%M:%S"),
        "event_date": moment.strftime("%Y-%m-%d"),
        "country": f"country_{i % 50}",
        "device": DEVICES[i % 5],
        "url": "https://example.com/" + chr(97 + i % 26) * (i % 61) + f"/p/{i % 997}",
        "amount": f"{cents // 100}.{cents % 100:02d}",
        "quantity": i % 10 + 1,
        "is_member": i % 3 == 0,
    }


def register(registry, subject, text):
    parts = urllib.parse.urlsplit(registry)
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + f"/subjects/{subject}/versions", "", ""))
    request = urllib.request.Request(
        url,
        data=json.dumps({"schema": text}).encode(),
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        method="POST",
    )
    if parts.username is not None:
        token = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        request.add_header("Authorization", "Basic " + base64.b64encode(token.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["id"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schema", help="writer schema: a file or JSON text (default: the events schema)")
    parser.add_argument("--registry", help="registry URL to register the schema at")
    parser.add_argument("--subject", help="registry subject (default <schema name>-value)")
    parser.add_argument("--id", type=int, help="schema id to frame with (no registration)")
    parser.add_argument("--records", help="file of JSON records, one per line (default stdin)")
    parser.add_argument("--generate-events", type=int, metavar="N", help="write events 1..N instead of records")
    args = parser.parse_args()

    if args.schema is None:
        schema = EVENTS_SCHEMA
    elif args.schema.lstrip().startswith(("{", "[", '"')):
        schema = json.loads(args.schema)
    else:
        with open(args.schema) as f:
            schema = json.load(f)
    text = json.dumps(schema, separators=(",", ":"))
    if args.id is not None:
        schema_id = args.id
    elif args.registry:
        name = schema.get("name", "value") if isinstance(schema, dict) else "value"
        schema_id = register(args.registry, args.subject or f"{name}-value", text)
    else:
        parser.error("give --registry (to register the schema) or --id")
    parsed = fastavro.parse_schema(schema)
    header = b"\x00" + struct.pack(">i", schema_id)

    if args.generate_events is not None:
        records = (event(i) for i in range(1, args.generate_events + 1))
    else:
        source = open(args.records) if args.records else sys.stdin
        records = (json.loads(line) for line in source if line.strip())
    out = sys.stdout
    buffer = io.BytesIO()
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        fastavro.schemaless_writer(buffer, parsed, record)
        out.write((header + buffer.getvalue()).hex())
        out.write("\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
