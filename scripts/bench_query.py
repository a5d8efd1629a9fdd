#!/usr/bin/env python3
"""Times the GROUP BY query of issue 2 in Sluice and DuckDB on identical generated data."""
import base64, json, os, shutil, statistics, subprocess, sys, tempfile, time, urllib.request

import duckdb

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
CHUNK = 1_000_000
RUNS = 5
QUERY = "SELECT country, count(*), sum(amount) FROM events GROUP BY country ORDER BY country"

# One definition, valid in both engines (generate_series is the row number).
COLUMNS = """generate_series,
       generate_series * 7919 % 100000,
       concat('country_', generate_series % 50),
       CASE generate_series % 5 WHEN 0 THEN 'ios' WHEN 1 THEN 'android' WHEN 2 THEN 'web' WHEN 3 THEN 'tv' ELSE 'car' END,
       CAST(generate_series * 31 % 100000 / 100.0 AS DECIMAL(10, 2)),
       generate_series % 10 + 1"""
DDL = """CREATE TABLE events (event_id BIGINT NOT NULL, user_id INT, country VARCHAR(32), device VARCHAR(16),
         amount DECIMAL(10, 2), quantity INT)"""


def sluice_sql(port, query, db="bench"):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/catalogs/default_catalog/databases/{db}/sql",
        data=json.dumps({"query": query}).encode(),
        headers={"Authorization": "Basic " + base64.b64encode(b"root:").decode()})
    with urllib.request.urlopen(request, timeout=3600) as response:
        lines = [json.loads(l) for l in response.read().splitlines() if l]
    return [l["data"] for l in lines if "data" in l]


def median_time(fn):
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    directory = tempfile.mkdtemp(prefix="sluice-bench-")
    port = 18930
    server = subprocess.Popen([".build/release/sluice", "serve", "--data-dir", directory + "/data", "--http-port", str(port)],
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except Exception:
                time.sleep(0.05)
        sluice_sql(port, "CREATE DATABASE bench", db="bench")
        sluice_sql(port, DDL + " DUPLICATE KEY(event_id) DISTRIBUTED BY HASH(event_id) BUCKETS 2")
        load_start = time.perf_counter()
        for start in range(1, ROWS + 1, CHUNK):
            end = min(ROWS, start + CHUNK - 1)
            sluice_sql(port, f"INSERT INTO events SELECT {COLUMNS} FROM TABLE(generate_series({start}, {end}))")
        sluice_load = time.perf_counter() - load_start
        sluice_time, sluice_rows = median_time(lambda: sluice_sql(port, QUERY))

        results = {}
        for threads in (1, 2):
            db_path = os.path.join(directory, f"duck{threads}.db")
            con = duckdb.connect(db_path)
            con.execute(f"SET threads={threads}")
            con.execute(DDL)
            con.execute(f"INSERT INTO events SELECT {COLUMNS} FROM range(1, {ROWS + 1}) t(generate_series)")
            t, rows = median_time(lambda: con.execute(QUERY).fetchall())
            results[threads] = t
            con.close()
            duck_rows = [[r[0], r[1], f"{r[2]:.2f}"] for r in rows]
        sluice_norm = [[r[0], int(r[1]), r[2]] for r in sluice_rows]
        same = sluice_norm == [[r[0], int(r[1]), r[2]] for r in duck_rows]

        lines = [
            f"# Benchmarks",
            "",
            f"## Query: `{QUERY}` over {ROWS:,} rows",
            "",
            "Measured by `make bench` (`scripts/bench-query.sh`) on one machine, release build, median of "
            f"{RUNS} runs, same data generated in both engines. Sluice is timed end to end over HTTP "
            "(request, execution, NDJSON response); DuckDB in-process from Python on a persistent database file.",
            "",
            "| engine | seconds | rows/s scanned | Sluice speed vs this |",
            "|---|---:|---:|---:|",
            f"| Sluice (HTTP) | {sluice_time:.3f} | {ROWS / sluice_time:,.0f} | 1.00× |",
            f"| DuckDB threads=1 | {results[1]:.3f} | {ROWS / results[1]:,.0f} | {results[1] / sluice_time:.2f}× |",
            f"| DuckDB threads=2 | {results[2]:.3f} | {ROWS / results[2]:,.0f} | {results[2] / sluice_time:.2f}× |",
            "",
            f"Results identical in both engines: {'yes' if same else 'NO'}. "
            f"Loading the rows into Sluice with INSERT … SELECT took {sluice_load:.1f} s.",
            "",
            f"Machine: {os.cpu_count()} cores; measured {time.strftime('%Y-%m-%d')}.",
        ]
        text = "\n".join(lines) + "\n"
        print(text)
        with open("docs/benchmarks.md", "w") as f:
            f.write(text)
        if not same:
            sys.exit("results differ between Sluice and DuckDB")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
