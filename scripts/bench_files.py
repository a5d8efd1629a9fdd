#!/usr/bin/env python3
"""File loads vs DuckDB on the same files: the events data as Parquet (snappy) and CSV, on local
disk and on an S3-compatible server (moto), loaded with Broker Load and with INSERT … SELECT FROM
FILES(); DuckDB reads the local files with read_parquet / read_csv (threads=1 and 2). Reported as
ratios in docs/benchmarks-files.md."""
import os, shutil, subprocess, sys, tempfile, time

import duckdb

sys.path.insert(0, os.path.dirname(__file__))
from bench_load import COLUMNS, DDL_SLUICE, DUCK_COLUMNS, sql, start_server  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
RUNS = 2
PORT = 18941


def broker_load(label, path, fmt, props=""):
    """Submits a Broker Load and returns the seconds until SHOW LOAD says FINISHED."""
    separator = 'COLUMNS TERMINATED BY ","' if fmt == "csv" else ""
    start = time.perf_counter()
    sql(f'LOAD LABEL bench.{label} (DATA INFILE("{path}") INTO TABLE {label} {separator} FORMAT AS "{fmt}") '
        f'WITH BROKER ({props})', "bench", port=PORT)
    while True:
        rows = sql(f'SHOW LOAD WHERE LABEL = "{label}"', "bench", port=PORT)
        data = [r["data"] for r in rows if "data" in r]
        state = data[0][2] if data else None
        if state in ("FINISHED", "CANCELLED"):
            elapsed = time.perf_counter() - start
            if state != "FINISHED":
                raise SystemExit(f"{label}: {data[0]}")
            return elapsed
        time.sleep(0.01)


def insert_from_files(label, path, fmt):
    """INSERT … SELECT * FROM FILES(): the seconds the statement takes."""
    csv = ', "csv.column_separator" = ","' if fmt == "csv" else ""
    start = time.perf_counter()
    answer = sql(f'INSERT INTO {label} SELECT * FROM FILES("path" = "{path}", "format" = "{fmt}"{csv})', "bench",
                 port=PORT)
    elapsed = time.perf_counter() - start
    if any("error" in line or "exception" in line for line in answer if isinstance(line, dict)):
        raise SystemExit(f"{label}: {answer}")
    return elapsed


def main():
    work = tempfile.mkdtemp(prefix="sluice-bench-files-")
    parquet_path, csv_path = os.path.join(work, "events.parquet"), os.path.join(work, "events.csv")
    gen = duckdb.connect()
    gen.execute(f"COPY (SELECT {COLUMNS} FROM range(1, {ROWS + 1}) t(i)) TO '{parquet_path}' (FORMAT PARQUET, COMPRESSION SNAPPY)")
    gen.execute(f"COPY (SELECT {COLUMNS} FROM range(1, {ROWS + 1}) t(i)) TO '{csv_path}' (HEADER false, DELIMITER ',')")
    gen.close()
    os.sync()
    sizes = {"parquet": os.path.getsize(parquet_path) / 1e6, "csv": os.path.getsize(csv_path) / 1e6}
    results = {}
    s3 = subprocess.Popen(["python3", "scripts/s3/s3-server.py"], stdout=subprocess.PIPE, text=True)
    s3_port = int(s3.stdout.readline().split()[-1])
    endpoint = f"http://127.0.0.1:{s3_port}"
    props = (f'"aws.s3.endpoint" = "{endpoint}", "aws.s3.enable_path_style_access" = "true", '
             '"aws.s3.access_key" = "bench", "aws.s3.secret_key" = "bench", "aws.s3.region" = "us-east-1"')
    import boto3
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench",
                          region_name="us-east-1")
    client.create_bucket(Bucket="bench")
    client.upload_file(parquet_path, "bench", "events.parquet")
    client.upload_file(csv_path, "bench", "events.csv")
    try:
        server = start_server(os.path.join(work, "data"), port=PORT)
        sql("CREATE DATABASE bench", port=PORT)
        n = 0
        for run in range(RUNS):
            for name, path, fmt, extra in [
                ("parquet_local", f"file://{parquet_path}", "parquet", ""),
                ("csv_local", f"file://{csv_path}", "csv", ""),
                ("parquet_s3", "s3://bench/events.parquet", "parquet", props),
                ("csv_s3", "s3://bench/events.csv", "csv", props),
            ]:
                n += 1
                label = f"{name}_{run}"
                sql(DDL_SLUICE.replace("events", label), "bench", port=PORT)
                t = broker_load(label, path, fmt, extra)
                results[name] = min(t, results.get(name, t))
                count = sql(f"SELECT count(*) FROM {label}", "bench", port=PORT)
                assert [r["data"] for r in count if "data" in r][0][0] == ROWS, count
            for name, path, fmt in [
                ("parquet_insert", f"file://{parquet_path}", "parquet"),
                ("csv_insert", f"file://{csv_path}", "csv"),
            ]:
                label = f"{name}_{run}"
                sql(DDL_SLUICE.replace("events", label), "bench", port=PORT)
                t = insert_from_files(label, path, fmt)
                results[name] = min(t, results.get(name, t))
                count = sql(f"SELECT count(*) FROM {label}", "bench", port=PORT)
                assert [r["data"] for r in count if "data" in r][0][0] == ROWS, count
        check = sql("SELECT count(*), sum(amount), min(event_time), max(url) FROM parquet_local_0", "bench", port=PORT)
        server.terminate(); server.wait()
        for threads in (1, 2):
            for run in range(RUNS):
                con = duckdb.connect(os.path.join(work, f"duck{threads}_{run}.db"))
                con.execute(f"SET threads={threads}")
                start = time.perf_counter()
                con.execute(f"CREATE TABLE events AS SELECT * FROM read_parquet('{parquet_path}')")
                t = time.perf_counter() - start
                results[f"duck_parquet_{threads}"] = min(t, results.get(f"duck_parquet_{threads}", t))
                start = time.perf_counter()
                con.execute(f"CREATE TABLE events_csv AS SELECT * FROM read_csv('{csv_path}', header=false, delim=',', columns={DUCK_COLUMNS})")
                t = time.perf_counter() - start
                results[f"duck_csv_{threads}"] = min(t, results.get(f"duck_csv_{threads}", t))
                con.close()
    finally:
        s3.kill()
        shutil.rmtree(work, ignore_errors=True)

    def row(name, seconds):
        return f"| {name} | {seconds:.2f} | {ROWS / seconds:,.0f} |"
    lines = [
        "# File-load benchmarks", "",
        f"Measured by `scripts/bench-files.sh` (release build, best of {RUNS} runs, same files for both engines). "
        "Sluice: Broker Load (`LOAD LABEL … WITH BROKER`), from submission until `SHOW LOAD` says FINISHED, "
        "and `INSERT INTO … SELECT * FROM FILES(…)` (the statement's time). "
        "DuckDB: `CREATE TABLE … AS SELECT * FROM read_parquet/read_csv(…)` into a persistent database file. "
        "S3: the same files on moto (`scripts/s3/s3-server.py`, signatures checked) over loopback; DuckDB's "
        "S3 reader (httpfs) is an extension this offline machine cannot download, so it reads local files only.", "",
        f"## Parquet (snappy, written by DuckDB): {ROWS:,} rows ({sizes['parquet']:.0f} MB)", "",
        "| loader | seconds | rows/s |", "|---|---:|---:|",
        row("Sluice Broker Load, local file", results["parquet_local"]),
        row("Sluice INSERT … FROM FILES(), local file", results["parquet_insert"]),
        row("Sluice Broker Load, S3", results["parquet_s3"]),
        row("DuckDB threads=1, local file", results["duck_parquet_1"]),
        row("DuckDB threads=2, local file", results["duck_parquet_2"]), "",
        f"Sluice local / DuckDB threads=2: **{results['duck_parquet_2'] / results['parquet_local']:.2f}×** "
        f"(target ≥ 1.0×); / DuckDB threads=1: **{results['duck_parquet_1'] / results['parquet_local']:.2f}×**; "
        f"INSERT … FROM FILES() / DuckDB threads=2: **{results['duck_parquet_2'] / results['parquet_insert']:.2f}×**; "
        f"Sluice S3 / DuckDB threads=2 local: {results['duck_parquet_2'] / results['parquet_s3']:.2f}×.", "",
        f"## CSV: {ROWS:,} rows ({sizes['csv']:.0f} MB)", "",
        "| loader | seconds | rows/s |", "|---|---:|---:|",
        row("Sluice Broker Load, local file", results["csv_local"]),
        row("Sluice INSERT … FROM FILES(), local file", results["csv_insert"]),
        row("Sluice Broker Load, S3", results["csv_s3"]),
        row("DuckDB threads=1, local file", results["duck_csv_1"]),
        row("DuckDB threads=2, local file", results["duck_csv_2"]), "",
        f"Sluice local / DuckDB threads=2: **{results['duck_csv_2'] / results['csv_local']:.2f}×**; "
        f"/ DuckDB threads=1: **{results['duck_csv_1'] / results['csv_local']:.2f}×**; "
        f"INSERT … FROM FILES() / DuckDB threads=2: **{results['duck_csv_2'] / results['csv_insert']:.2f}×**; "
        f"Sluice S3 / DuckDB threads=2 local: {results['duck_csv_2'] / results['csv_s3']:.2f}×.", "",
        f"Check: {[r['data'] for r in check if 'data' in r]}", "",
        f"Machine: {os.cpu_count()} cores; measured {time.strftime('%Y-%m-%d')}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if ROWS == 5_000_000:
        with open("docs/benchmarks-files.md", "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
