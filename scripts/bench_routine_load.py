#!/usr/bin/env python3
"""Routine Load vs kcat vs confluent-kafka+DuckDB on the same topic, reported as ratios."""
import os, shutil, subprocess, sys, tempfile, time

import duckdb

import bench_load  # sql() and start_server(), shared with the Stream Load benchmark
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

MESSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
LATENCY_RATE = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
LATENCY_SECONDS = int(sys.argv[3]) if len(sys.argv) > 3 else 20
PARTITIONS = 64
LATENCY_PARTITIONS = 64
PORT = 18932
BIN = ".build/release/sluice"
COLUMNS = "event_id, user_id, event_time, event_date, country, device, url, amount, quantity, is_member"
DDL = """CREATE TABLE {name} (
    event_id BIGINT NOT NULL, user_id INT, event_time DATETIME, event_date DATE, country VARCHAR(32),
    device VARCHAR(16), url VARCHAR(128), amount DECIMAL(10, 2), quantity INT, is_member BOOLEAN)
    DUPLICATE KEY(event_id) DISTRIBUTED BY HASH(event_id) BUCKETS 2"""
DUCK_COLUMNS = ("{'event_id': 'BIGINT', 'user_id': 'INTEGER', 'event_time': 'TIMESTAMP', 'event_date': 'DATE', "
                "'country': 'VARCHAR', 'device': 'VARCHAR', 'url': 'VARCHAR', 'amount': 'DECIMAL(10,2)', "
                "'quantity': 'INTEGER', 'is_member': 'BOOLEAN'}")


def sql(query, db="bench", port=PORT):
    lines = bench_load.sql(query, db, port=port)
    for line in lines:
        if line.get("status") == "FAILED":
            raise SystemExit(f"{query}: {line.get('msg')}")
    return [l["data"] for l in lines if "data" in l]


def count(table, port=PORT):
    return int(sql(f"SELECT count(*) FROM {table}", port=port)[0][0])


def start_mock(topics):
    args = [BIN, "kafka-mock", "--brokers", "1"] + [a for t in topics for a in ("--topic", t)]
    mock = subprocess.Popen(args, stdout=subprocess.PIPE, stdin=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = mock.stdout.readline()
    assert line.startswith("bootstrap servers: "), line
    return mock, line.split(": ", 1)[1].strip()


def start_server(directory):
    return bench_load.start_server(directory, PORT)


def watermarks(brokers, topic, partitions):
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "bench-marks"})
    marks = [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in range(partitions)]
    consumer.close()
    return marks


def create_job(name, table, brokers, topic, interval):
    sql(f"""CREATE ROUTINE LOAD bench.{name} ON {table}
        COLUMNS TERMINATED BY ',', COLUMNS ({COLUMNS})
        PROPERTIES ("max_batch_interval" = "{interval}", "desired_concurrent_number" = "2")
        FROM KAFKA ("kafka_broker_list" = "{brokers}", "kafka_topic" = "{topic}",
                    "property.kafka_default_offsets" = "OFFSET_BEGINNING")""")


def run_kcat(brokers):
    start = time.perf_counter()
    out = subprocess.run(["kcat", "-C", "-b", brokers, "-t", "events", "-o", "beginning", "-e", "-q", "-f", "%s\n"],
                         stdout=subprocess.PIPE, check=True).stdout
    seconds = time.perf_counter() - start
    assert out.count(b"\n") == MESSAGES, out.count(b"\n")
    return seconds


def run_python_duckdb(brokers, work):
    con = duckdb.connect(os.path.join(work, "pipeline.db"))
    con.execute("CREATE TABLE events (event_id BIGINT, user_id INTEGER, event_time TIMESTAMP, event_date DATE, "
                "country VARCHAR, device VARCHAR, url VARCHAR, amount DECIMAL(10,2), quantity INTEGER, is_member BOOLEAN)")
    start = time.perf_counter()
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "bench-python", "enable.auto.commit": False})
    consumer.assign([TopicPartition("events", p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    batch_path = os.path.join("/dev/shm" if os.path.isdir("/dev/shm") else work, "bench-batch.csv")
    total = 0
    while total < MESSAGES:
        lines = []
        while len(lines) < 100_000 and total + len(lines) < MESSAGES:
            for message in consumer.consume(num_messages=min(10_000, 100_000 - len(lines)), timeout=1.0):
                if message.error() is None:
                    lines.append(message.value())
        with open(batch_path, "wb") as f:
            f.write(b"\n".join(lines) + b"\n")
        con.execute(f"INSERT INTO events SELECT * FROM read_csv('{batch_path}', header=false, delim=',', columns={DUCK_COLUMNS})")
        total += len(lines)
    seconds = time.perf_counter() - start
    consumer.close()
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == MESSAGES
    os.remove(batch_path)
    return seconds


def run_sluice(brokers):
    sql(DDL.format(name="events"))
    start = time.perf_counter()
    create_job("events_job", "events", brokers, "events", 5)
    while count("events") < MESSAGES:
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    rows = sql("SELECT count(*), count(DISTINCT event_id), sum(quantity) FROM events")[0]
    expected_quantity = sum(i % 10 + 1 for i in range(1, MESSAGES + 1))
    assert [int(x) for x in rows] == [MESSAGES, MESSAGES, expected_quantity], rows
    sql("STOP ROUTINE LOAD FOR events_job")
    return seconds


def run_latency(brokers, mock):
    """Produce at LATENCY_RATE msg/s for LATENCY_SECONDS; a poller sees rows become visible.

    Event i goes to partition i % LATENCY_PARTITIONS and a partition becomes visible in offset order, so one
    cheap query per poll (max event_id per partition) tells which ids are visible."""
    sql(DDL.format(name="lat"))
    create_job("lat_job", "lat", brokers, "latency", 5)
    time.sleep(1)
    total = LATENCY_RATE * LATENCY_SECONDS
    producer = subprocess.Popen([BIN, "produce", "--brokers", brokers, "--topic", "latency", "--partitions",
                                 str(LATENCY_PARTITIONS), "--generate-events", str(total), "--start-id", "0",
                                 "--rate", str(LATENCY_RATE)], stdout=subprocess.DEVNULL)
    polls = []  # (time, {partition: max visible event_id})
    seen = 0
    deadline = time.time() + LATENCY_SECONDS + 60
    while seen < total and time.time() < deadline:
        now = time.time()
        rows = sql(f"SELECT event_id % {LATENCY_PARTITIONS}, max(event_id), count(*) FROM lat GROUP BY event_id % {LATENCY_PARTITIONS}")
        polls.append((now, {int(p): int(m) for p, m, _ in rows}))
        seen = sum(int(c) for _, _, c in rows)
        time.sleep(max(0.0, 0.05 - (time.time() - now)))
    producer.wait()
    # The Kafka message timestamps (CreateTime, set when the producer sent each message).
    out = subprocess.run(["kcat", "-C", "-b", brokers, "-t", "latency", "-o", "beginning", "-e", "-q", "-f", "%T %s\n"],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    stamps = {}
    for line in out.splitlines():
        stamp, payload = line.split(" ", 1)
        stamps[int(payload.split(",", 1)[0])] = int(stamp) / 1000.0
    latencies = []
    for event_id, stamp in stamps.items():
        p = event_id % LATENCY_PARTITIONS
        visible = next((t for t, maxima in polls if maxima.get(p, -1) >= event_id), None)
        if visible is not None:
            latencies.append(visible - stamp)
    latencies.sort()
    produced_rate = total / max(1e-9, max(stamps.values()) - min(stamps.values()))
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    return {"messages": total, "visible": len(latencies), "p50": pick(0.50), "p99": pick(0.99), "max": latencies[-1],
            "rate": produced_rate}


def main():
    work = tempfile.mkdtemp(prefix="sluice-bench-rl-")
    mock, brokers = start_mock([f"events:{PARTITIONS}", f"latency:{LATENCY_PARTITIONS}"])
    server = None
    try:
        print(f"producing {MESSAGES:,} events into events:{PARTITIONS} ...", flush=True)
        subprocess.run([BIN, "produce", "--brokers", brokers, "--topic", "events", "--partitions", str(PARTITIONS),
                        "--generate-events", str(MESSAGES)], check=True, stdout=subprocess.DEVNULL)
        marks = watermarks(brokers, "events", PARTITIONS)
        assert sum(h for _, h in marks) == MESSAGES and all(l == 0 for l, _ in marks), marks
        kcat_s = run_kcat(brokers)
        print(f"kcat: {kcat_s:.2f} s", flush=True)
        python_s = run_python_duckdb(brokers, work)
        print(f"python+duckdb: {python_s:.2f} s", flush=True)
        server = start_server(os.path.join(work, "sluice"))
        sql("CREATE DATABASE bench", db=None)
        sluice_s = run_sluice(brokers)
        print(f"sluice: {sluice_s:.2f} s", flush=True)
        latency = run_latency(brokers, mock)
        print(f"latency: {latency}", flush=True)
    finally:
        if server:
            server.terminate()
            server.wait()
        mock.terminate()
        mock.wait()
        shutil.rmtree(work, ignore_errors=True)

    rate = lambda s: MESSAGES / s
    lines = [
        "# Routine Load benchmark", "",
        "Generated by `scripts/bench-routine-load.sh` (release build, 2 cores, one run; expect ±10–20% between runs).", "",
        f"{MESSAGES:,} generated `events` CSV messages (the Stream Load benchmark's columns, ~130 bytes each) pre-produced "
        f"into a {PARTITIONS}-partition topic of librdkafka's mock cluster (1 broker, separate process). Each peer reads "
        "the whole topic from the beginning; times run until the last row is visible (Sluice: `SELECT count(*)` polled "
        "every 50 ms from `CREATE ROUTINE LOAD`, max_batch_interval 5 s, 2 tasks).", "",
        "| consumer | seconds | messages/s | Sluice ÷ peer |", "|---|---:|---:|---:|",
        f"| Sluice Routine Load (into tablets, visible) | {sluice_s:.2f} | {rate(sluice_s):,.0f} | 1.00 |",
        f"| kcat -C -e (consume only, to /dev/null) | {kcat_s:.2f} | {rate(kcat_s):,.0f} | {kcat_s / sluice_s:.2f} |",
        f"| Python confluent-kafka + DuckDB (100k-message batches) | {python_s:.2f} | {rate(python_s):,.0f} | {python_s / sluice_s:.2f} |",
        "", "Targets: ≥ 3× the Python+DuckDB pipeline, ≥ 0.5× kcat's consume rate.", "",
        "## Latency (produce → visible)", "",
        f"{latency['messages']:,} messages produced at {latency['rate']:,.0f} messages/s (target rate {LATENCY_RATE:,}) into a "
        f"{LATENCY_PARTITIONS}-partition topic while the job runs (max_batch_interval = 5 s); latency = first `SELECT` (polled every 50 ms) "
        "that returns the row − the message's Kafka timestamp.", "",
        f"| rows seen | p50 | p99 | max |", "|---:|---:|---:|---:|",
        f"| {latency['visible']:,} | {latency['p50'] * 1000:,.0f} ms | {latency['p99'] * 1000:,.0f} ms | {latency['max'] * 1000:,.0f} ms |",
        "", "Target: p99 ≤ max_batch_interval + 300 ms = 5,300 ms.", "",
    ]
    with open("docs/benchmarks-routine-load.md", "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
