#!/usr/bin/env python3
"""Stream Load vs DuckDB read_csv/read_json on the same generated files, reported as ratios."""
import json, os, shutil, subprocess, sys, tempfile, time, urllib.request, base64

import duckdb

CSV_ROWS = int(sys.argv[1]) if __name__ == "__main__" and len(sys.argv) > 1 else 5_000_000
JSON_ROWS = int(sys.argv[2]) if __name__ == "__main__" and len(sys.argv) > 2 else 1_000_000
PORT = 18931
RUNS = 2

COLUMNS = """
    i AS event_id,
    (i * 7919) % 1000000 AS user_id,
    TIMESTAMP '2025-01-01 00:00:00' + to_seconds(i * 3) AS event_time,
    CAST(TIMESTAMP '2025-01-01 00:00:00' + to_seconds(i * 3) AS DATE) AS event_date,
    'country_' || (i % 50) AS country,
    CASE i % 5 WHEN 0 THEN 'ios' WHEN 1 THEN 'android' WHEN 2 THEN 'web' WHEN 3 THEN 'tv' ELSE 'car' END AS device,
    'https://example.com/' || repeat(chr(97 + CAST(i % 26 AS INTEGER)), CAST(i % 61 AS INTEGER)) || '/p/' || (i % 997) AS url,
    CAST((i * 31) % 100000 / 100.0 AS DECIMAL(10, 2)) AS amount,
    CAST(i % 10 + 1 AS INTEGER) AS quantity,
    i % 3 = 0 AS is_member"""

DDL_SLUICE = """CREATE TABLE events (
    event_id BIGINT NOT NULL, user_id INT, event_time DATETIME, event_date DATE, country VARCHAR(32),
    device VARCHAR(16), url VARCHAR(128), amount DECIMAL(10, 2), quantity INT, is_member BOOLEAN)
    DUPLICATE KEY(event_id) DISTRIBUTED BY HASH(event_id) BUCKETS 2"""
DUCK_COLUMNS = ("{'event_id': 'BIGINT', 'user_id': 'INTEGER', 'event_time': 'TIMESTAMP', 'event_date': 'DATE', "
                "'country': 'VARCHAR', 'device': 'VARCHAR', 'url': 'VARCHAR', 'amount': 'DECIMAL(10,2)', "
                "'quantity': 'INTEGER', 'is_member': 'BOOLEAN'}")


def sql(query, db=None, port=PORT):
    """One statement over the HTTP SQL API; the NDJSON lines as objects (also used by bench_routine_load.py)."""
    path = f"/api/v1/catalogs/default_catalog/databases/{db}/sql" if db else "/api/v1/catalogs/default_catalog/sql"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps({"query": query}).encode(),
                                     headers={"Authorization": "Basic " + base64.b64encode(b"root:").decode()})
    with urllib.request.urlopen(request, timeout=3600) as response:
        return [json.loads(l) for l in response.read().splitlines() if l]


def start_server(directory, port=PORT):
    """The release server on `directory`, once it answers /api/health (also used by bench_routine_load.py)."""
    server = subprocess.Popen([".build/release/sluice", "serve", "--data-dir", directory, "--http-port", str(port)],
                              stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
            return server
        except Exception:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def curl_load(table, path_or_stdin, headers, stdin=None):
    args = ["curl", "-s", "--location-trusted", "-u", "root:"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    args += ["-T", path_or_stdin, f"http://127.0.0.1:{PORT}/api/bench/{table}/_stream_load"]
    start = time.perf_counter()
    out = subprocess.run(args, stdin=stdin, capture_output=True, check=True).stdout
    elapsed = time.perf_counter() - start
    result = json.loads(out)
    if result.get("Status") != "Success":
        raise SystemExit(f"load failed: {result}")
    return elapsed, result


def main():
    work = tempfile.mkdtemp(prefix="sluice-bench-load-")
    csv_path, json_path = os.path.join(work, "events.csv"), os.path.join(work, "events.json")
    gen = duckdb.connect()
    gen.execute(f"COPY (SELECT {COLUMNS} FROM range(1, {CSV_ROWS + 1}) t(i)) TO '{csv_path}' (HEADER false, DELIMITER ',')")
    gen.execute(f"COPY (SELECT {COLUMNS} FROM range(1, {JSON_ROWS + 1}) t(i)) TO '{json_path}' (FORMAT JSON)")
    gen.close()
    os.sync()  # the generated files' writeback must not overlap the first measured load
    csv_mb = os.path.getsize(csv_path) / 1e6
    json_mb = os.path.getsize(json_path) / 1e6
    results = {}
    try:
        server = start_server(os.path.join(work, "data"))
        sql("CREATE DATABASE bench")
        sql(DDL_SLUICE, "bench")
        sql(DDL_SLUICE.replace("events", "events_json"), "bench")
        # Best of RUNS for every loader (this 2-core machine varies 10-20% between runs).
        for run in range(RUNS):
            suffix = "" if run == 0 else f"_{run}"
            if run > 0:
                sql(DDL_SLUICE.replace("events", "events" + suffix), "bench")
                sql(DDL_SLUICE.replace("events", "events_json" + suffix), "bench")
            t, r = curl_load("events" + suffix, csv_path, {"column_separator": ","})
            results["sluice_csv"] = min(t, results.get("sluice_csv", t))
            assert r["NumberLoadedRows"] == CSV_ROWS, r
            t, r = curl_load("events_json" + suffix, json_path, {"format": "json", "ignore_json_size": "true"})
            results["sluice_json"] = min(t, results.get("sluice_json", t))
            assert r["NumberLoadedRows"] == JSON_ROWS, r
        count = sql("SELECT count(*), sum(amount) FROM events", "bench")
        server.terminate(); server.wait()

        # Peak RSS while streaming a ~2 GB body (the CSV repeated), chunked from a pipe.
        server = start_server(os.path.join(work, "data2"))
        sql("CREATE DATABASE bench")
        sql(DDL_SLUICE, "bench")
        repeats = max(1, round(2000 / csv_mb))
        cat = subprocess.Popen(["cat"] + [csv_path] * repeats, stdout=subprocess.PIPE)
        t, r = curl_load("events", "-", {"column_separator": ",", "Transfer-Encoding": "chunked"}, stdin=cat.stdout)
        cat.wait()
        results["big_seconds"], results["big_mb"] = t, csv_mb * repeats
        results["peak_rss_mb"] = peak_rss_mb(server.pid)
        server.terminate(); server.wait()

        for threads in (1, 2):
            for run in range(RUNS):
                con = duckdb.connect(os.path.join(work, f"duck{threads}_{run}.db"))
                con.execute(f"SET threads={threads}")
                start = time.perf_counter()
                con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv('{csv_path}', header=false, delim=',', columns={DUCK_COLUMNS})")
                t = time.perf_counter() - start
                results[f"duck_csv_{threads}"] = min(t, results.get(f"duck_csv_{threads}", t))
                start = time.perf_counter()
                con.execute(f"CREATE TABLE events_json AS SELECT * FROM read_json('{json_path}', format='newline_delimited', columns={DUCK_COLUMNS})")
                t = time.perf_counter() - start
                results[f"duck_json_{threads}"] = min(t, results.get(f"duck_json_{threads}", t))
                con.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def row(name, seconds, rows):
        return f"| {name} | {seconds:.2f} | {rows / seconds:,.0f} |"
    lines = [
        "# Load benchmarks", "",
        f"Measured by `scripts/bench-load.sh` (release build, best of {RUNS} runs for every loader, same files for both engines). "
        "Sluice: `curl -T file` Stream Load over loopback, wall time of the request. "
        "DuckDB: `CREATE TABLE … AS SELECT * FROM read_csv/read_json(…)` into a persistent database file.", "",
        f"## CSV: {CSV_ROWS:,} rows ({csv_mb:.0f} MB)", "",
        "| loader | seconds | rows/s |", "|---|---:|---:|",
        row("Sluice Stream Load", results["sluice_csv"], CSV_ROWS),
        row("DuckDB threads=1", results["duck_csv_1"], CSV_ROWS),
        row("DuckDB threads=2", results["duck_csv_2"], CSV_ROWS), "",
        f"Sluice / DuckDB threads=1: **{results['duck_csv_1'] / results['sluice_csv']:.2f}×** (target ≥ 1.5×); "
        f"Sluice / DuckDB threads=2: **{results['duck_csv_2'] / results['sluice_csv']:.2f}×** (target ≥ 1.0×).", "",
        f"## JSON lines: {JSON_ROWS:,} rows ({json_mb:.0f} MB, sent with `ignore_json_size: true`)", "",
        "| loader | seconds | rows/s |", "|---|---:|---:|",
        row("Sluice Stream Load", results["sluice_json"], JSON_ROWS),
        row("DuckDB threads=1", results["duck_json_1"], JSON_ROWS),
        row("DuckDB threads=2", results["duck_json_2"], JSON_ROWS), "",
        f"Sluice / DuckDB threads=1: **{results['duck_json_1'] / results['sluice_json']:.2f}×** (target ≥ 1.0×).", "",
        f"## Memory: {results['big_mb']:.0f} MB CSV body streamed (chunked) in {results['big_seconds']:.1f} s", "",
        f"Peak RSS of the server (VmHWM): **{results['peak_rss_mb']:.0f} MB** (target ≤ 512 MB).", "",
        f"Check: {count}", "",
        f"Machine: {os.cpu_count()} cores; measured {time.strftime('%Y-%m-%d')}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    with open("docs/benchmarks-load.md", "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
