#!/usr/bin/env python3
"""Avro Routine Load vs a Python pipeline (confluent-kafka + fastavro + DuckDB), and vs Sluice's own CSV
Routine Load on the same rows; reported as ratios in docs/benchmarks-avro.md."""
import csv, io, os, shutil, struct, subprocess, sys, tempfile, time

import duckdb
import fastavro
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

import bench_load
import bench_routine_load as rl

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "avro"))
MESSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
PARTITIONS = 64
BIN = rl.BIN
HERE = os.path.dirname(os.path.abspath(__file__))


def start_registry():
    registry = subprocess.Popen([sys.executable, os.path.join(HERE, "avro/schema-registry.py")], stdout=subprocess.PIPE,
                                text=True)
    line = registry.stdout.readline()
    assert line.startswith("listening on "), line
    return registry, f"http://127.0.0.1:{int(line.split()[-1])}"


def produce_avro(brokers, registry, work):
    """Events 1..MESSAGES as Confluent Avro (schema registered at the registry), round-robin over the partitions.
    Encoded to a file first, then produced at full speed like the CSV topic: a slow producer leaves many small
    record batches, which the mock broker serves several times more slowly whatever their content."""
    path = os.path.join(work, "avro-events.hex")
    with open(path, "w") as out:
        subprocess.run([sys.executable, os.path.join(HERE, "avro/avro-produce.py"), "--registry", registry,
                        "--generate-events", str(MESSAGES)], stdout=out, check=True)
    subprocess.run([BIN, "produce", "--hex", "--brokers", brokers, "--topic", "avro_events",
                    "--partitions", str(PARTITIONS), path], check=True, stdout=subprocess.DEVNULL)
    os.remove(path)


def run_python(brokers, registry, work):
    """confluent-kafka consumes, fastavro's schemaless_reader decodes each message under the writer schema the
    registry names (fetched once per id), 100k-message batches go into DuckDB through a CSV file."""
    import json, urllib.request
    con = duckdb.connect(os.path.join(work, "pipeline.db"))
    con.execute("CREATE TABLE events (event_id BIGINT, user_id INTEGER, event_time TIMESTAMP, event_date DATE, "
                "country VARCHAR, device VARCHAR, url VARCHAR, amount DECIMAL(10,2), quantity INTEGER, is_member BOOLEAN)")
    start = time.perf_counter()
    schemas = {}
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "bench-avro", "enable.auto.commit": False})
    consumer.assign([TopicPartition("avro_events", p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    batch_path = os.path.join("/dev/shm" if os.path.isdir("/dev/shm") else work, "bench-avro-batch.csv")
    total = 0
    reader = fastavro.schemaless_reader
    while total < MESSAGES:
        buffer = io.StringIO()
        out = csv.writer(buffer)
        taken = 0
        while taken < 100_000 and total + taken < MESSAGES:
            for message in consumer.consume(num_messages=min(10_000, 100_000 - taken), timeout=1.0):
                if message.error() is not None:
                    continue
                value = message.value()
                schema_id = struct.unpack(">i", value[1:5])[0]
                schema = schemas.get(schema_id)
                if schema is None:
                    with urllib.request.urlopen(f"{registry}/schemas/ids/{schema_id}") as response:
                        schema = fastavro.parse_schema(json.loads(json.load(response)["schema"]))
                    schemas[schema_id] = schema
                r = reader(io.BytesIO(value[5:]), schema)
                out.writerow((r["event_id"], r["user_id"], r["event_time"], r["event_date"], r["country"], r["device"],
                              r["url"], r["amount"], r["quantity"], r["is_member"]))
                taken += 1
        with open(batch_path, "w") as f:
            f.write(buffer.getvalue())
        con.execute(f"INSERT INTO events SELECT * FROM read_csv('{batch_path}', header=false, delim=',', "
                    f"columns={rl.DUCK_COLUMNS})")
        total += taken
    seconds = time.perf_counter() - start
    consumer.close()
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == MESSAGES
    os.remove(batch_path)
    return seconds


def run_sluice(brokers, registry, table, job, topic, avro):
    rl.sql(rl.DDL.format(name=table))
    start = time.perf_counter()
    if avro:
        rl.sql(f"""CREATE ROUTINE LOAD bench.{job} ON {table}
            PROPERTIES ("format" = "avro", "max_batch_interval" = "5", "desired_concurrent_number" = "2")
            FROM KAFKA ("kafka_broker_list" = "{brokers}", "kafka_topic" = "{topic}",
                        "confluent.schema.registry.url" = "{registry}",
                        "property.kafka_default_offsets" = "OFFSET_BEGINNING")""")
    else:
        rl.create_job(job, table, brokers, topic, 5)
    while rl.count(table) < MESSAGES:
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    rows = rl.sql(f"SELECT count(*), count(DISTINCT event_id), sum(quantity), sum(is_member), "
                  f"max(event_time), sum(amount) FROM {table}")[0]
    rl.sql(f"STOP ROUTINE LOAD FOR {job}")
    return seconds, rows


def main():
    work = tempfile.mkdtemp(prefix="sluice-bench-avro-")
    mock, brokers = rl.start_mock([f"events:{PARTITIONS}", f"avro_events:{PARTITIONS}"])
    registry, registry_url = start_registry()
    server = None
    times = {}
    try:
        print(f"producing {MESSAGES:,} events as CSV and as Avro into two {PARTITIONS}-partition topics ...", flush=True)
        subprocess.run([BIN, "produce", "--brokers", brokers, "--topic", "events", "--partitions",
                        str(PARTITIONS), "--generate-events", str(MESSAGES)], check=True, stdout=subprocess.DEVNULL)
        produce_avro(brokers, registry_url, work)
        for topic in ("events", "avro_events"):
            marks = rl.watermarks(brokers, topic, PARTITIONS)
            assert sum(h for _, h in marks) == MESSAGES and all(l == 0 for l, _ in marks), (topic, marks)
        python_s = run_python(brokers, registry_url, work)
        print(f"python (confluent-kafka + fastavro + duckdb): {python_s:.2f} s", flush=True)
        server = rl.start_server(os.path.join(work, "sluice"))
        rl.sql("CREATE DATABASE bench", db=None)
        # Two rounds, alternating the formats (a load's compaction afterwards slows whichever runs next); the
        # better time of each format is reported.
        times = {"avro": [], "csv": []}
        for round in (1, 2):
            for fmt, topic in (("csv", "events"), ("avro", "avro_events")):
                seconds, rows = run_sluice(brokers, registry_url, f"{fmt}_{round}", f"{fmt}_job_{round}", topic,
                                           fmt == "avro")
                times[fmt].append(seconds)
                print(f"sluice {fmt} (round {round}): {seconds:.2f} s {rows}", flush=True)
                if fmt == "avro":
                    avro_rows = rows
                else:
                    csv_rows = rows
        avro_s, csv_s = min(times["avro"]), min(times["csv"])
        expected_quantity = sum(i % 10 + 1 for i in range(1, MESSAGES + 1))
        assert avro_rows == csv_rows, (avro_rows, csv_rows)
        assert [int(avro_rows[0]), int(avro_rows[1]), int(avro_rows[2])] == [MESSAGES, MESSAGES, expected_quantity]
    finally:
        if server:
            server.terminate()
            server.wait()
        registry.kill()
        mock.terminate()
        mock.wait()
        shutil.rmtree(work, ignore_errors=True)

    rate = lambda s: MESSAGES / s
    lines = [
        "# Avro Routine Load benchmark", "",
        "Generated by `scripts/bench-avro.sh` (release build, 2 cores, one run; expect ±10–20% between runs).", "",
        f"{MESSAGES:,} generated `events` rows, as Confluent-framed Avro (writer schema in "
        "scripts/avro/avro-produce.py, registered at scripts/avro/schema-registry.py; ~110 bytes per message) and as "
        f"CSV, pre-produced into two {PARTITIONS}-partition topics of librdkafka's mock cluster (1 broker, separate "
        "process). Each consumer reads its whole topic from the beginning; times run until the last row is visible "
        "(Sluice: `SELECT count(*)` polled every 50 ms from `CREATE ROUTINE LOAD`, max_batch_interval 5 s, 2 tasks). "
        "Both Sluice tables end with the same counts and sums. Sluice loads each topic twice, alternating CSV and "
        f"Avro; the better time is shown (all: Avro {', '.join(f'{t:.2f}' for t in times['avro'])} s, CSV "
        f"{', '.join(f'{t:.2f}' for t in times['csv'])} s). Both topics are produced at full speed by `sluice produce` (the Avro "
        "one from a file of hex lines, `--hex`), so their record batches are alike (kcat reads both equally fast).",
        "",
        "| consumer | seconds | messages/s | Sluice Avro ÷ peer |", "|---|---:|---:|---:|",
        f"| Sluice Routine Load, Avro (into tablets, visible) | {avro_s:.2f} | {rate(avro_s):,.0f} | 1.00 |",
        f"| Python confluent-kafka + fastavro `schemaless_reader` + DuckDB (100k-message batches) | {python_s:.2f} | "
        f"{rate(python_s):,.0f} | {python_s / avro_s:.2f} |",
        f"| Sluice Routine Load, CSV, same rows | {csv_s:.2f} | {rate(csv_s):,.0f} | {csv_s / avro_s:.2f} |",
        "", f"Avro rate ÷ CSV rate: {csv_s / avro_s:.2f}.", "",
        "Targets: ≥ 3× the Python pipeline, and ≥ 0.70× Sluice's own CSV Routine Load rate.", "",
    ]
    with open("docs/benchmarks-avro.md", "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
