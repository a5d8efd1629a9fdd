#!/usr/bin/env python3
"""Sluice's query port against a MariaDB server on the same generated events table: full fetches
with PyMySQL and the mysql client (rows/s), and 200 concurrent connections running point queries
(p50/p99 latency, errors). Writes docs/benchmarks-mysql.md."""
import os, random, shutil, statistics, subprocess, sys, tempfile, threading, time

import duckdb
import pymysql

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_load import COLUMNS, DDL_SLUICE, curl_load, peak_rss_mb, sql, start_server, PORT  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
QUERY_PORT = 19930
MARIADB_PORT = 13306
RUNS = 3
CLIENTS = 200
QUERIES_PER_CLIENT = 10
DDL_MARIADB = """CREATE TABLE events (
    event_id BIGINT NOT NULL PRIMARY KEY, user_id INT, event_time DATETIME, event_date DATE, country VARCHAR(32),
    device VARCHAR(16), url VARCHAR(128), amount DECIMAL(10, 2), quantity INT, is_member BOOLEAN) ENGINE=InnoDB"""


def start_mariadb(work):
    data = os.path.join(work, "mariadb")
    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=root",
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, capture_output=True)
    server = subprocess.Popen(
        ["mariadbd", "--no-defaults", f"--datadir={data}", "--user=root", f"--port={MARIADB_PORT}",
         "--bind-address=127.0.0.1", f"--socket={work}/mariadb.sock", "--skip-grant-tables",
         "--innodb-buffer-pool-size=1G", "--max-connections=500", "--secure-file-priv="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            pymysql.connect(host="127.0.0.1", port=MARIADB_PORT, user="root").close()
            return server
        except Exception:
            time.sleep(0.1)
    raise SystemExit("mariadbd did not start")


def wait_for_query_port():
    for _ in range(200):
        try:
            pymysql.connect(host="127.0.0.1", port=QUERY_PORT, user="root", password="").close()
            return
        except Exception:
            time.sleep(0.05)
    raise SystemExit("query port did not open")


def fetch_pymysql(port):
    conn = pymysql.connect(host="127.0.0.1", port=port, user="root", password="", database="bench")
    start = time.perf_counter()
    cursor = conn.cursor()
    cursor.execute("SELECT * FROM events")
    rows = len(cursor.fetchall())
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed, rows


def fetch_cli(port):
    start = time.perf_counter()
    out = subprocess.run(["mysql", "-h127.0.0.1", f"-P{port}", "-uroot", "-B", "-N", "bench", "-e",
                          "SELECT * FROM events"], check=True, capture_output=True).stdout
    elapsed = time.perf_counter() - start
    return elapsed, out.count(b"\n")


def best(fn, port):
    results = [fn(port) for _ in range(RUNS)]
    rows = {r for _, r in results}
    if rows != {ROWS}:
        raise SystemExit(f"{fn.__name__} on {port} returned {rows} rows, expected {ROWS}")
    return min(t for t, _ in results)


def point_queries(port):
    """CLIENTS threads, each with its own connection, each running QUERIES_PER_CLIENT point queries."""
    latencies, errors, lock = [], [], threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def client(seed):
        rng = random.Random(seed)
        try:
            conn = pymysql.connect(host="127.0.0.1", port=port, user="root", password="", database="bench")
            cursor = conn.cursor()
            barrier.wait()
            for _ in range(QUERIES_PER_CLIENT):
                key = rng.randint(1, ROWS)
                start = time.perf_counter()
                cursor.execute("SELECT * FROM events WHERE event_id = %s", (key,))
                row = cursor.fetchall()
                elapsed = time.perf_counter() - start
                if len(row) != 1 or row[0][0] != key:
                    raise RuntimeError(f"event {key}: {row}")
                with lock:
                    latencies.append(elapsed)
            conn.close()
        except Exception as e:  # counted, reported
            with lock:
                errors.append(repr(e))
            try:
                barrier.abort()
            except Exception:
                pass

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")
    return {"p50": p(0.50), "p99": p(0.99), "queries": len(latencies), "errors": errors, "wall": wall}


def main():
    work = tempfile.mkdtemp(prefix="sluice-bench-mysql-")
    csv_path = os.path.join(work, "events.csv")
    duckdb.connect().execute(
        f"COPY (SELECT {COLUMNS} FROM range(1, {ROWS + 1}) t(i)) TO '{csv_path}' (HEADER false, DELIMITER ',')")
    os.sync()
    sluice = mariadb = None
    try:
        os.environ["SLUICE_SERVER_QUERY_PORT"] = str(QUERY_PORT)
        sluice = start_server(os.path.join(work, "sluice"))
        wait_for_query_port()
        sql("CREATE DATABASE bench")
        sql(DDL_SLUICE.replace("BUCKETS 2", "BUCKETS 4"), db="bench")
        curl_load("events", csv_path, {"column_separator": ","})

        mariadb = start_mariadb(work)
        conn = pymysql.connect(host="127.0.0.1", port=MARIADB_PORT, user="root", autocommit=True)
        cursor = conn.cursor()
        cursor.execute("CREATE DATABASE bench")
        cursor.execute("USE bench")
        cursor.execute(DDL_MARIADB)
        cursor.execute(f"LOAD DATA INFILE '{csv_path}' INTO TABLE events FIELDS TERMINATED BY ',' "
                       "(event_id, user_id, event_time, event_date, country, device, url, amount, quantity, @m) "
                       "SET is_member = (@m = 'true')")
        conn.close()

        results = {}
        for name, port in (("sluice", QUERY_PORT), ("mariadb", MARIADB_PORT)):
            results[f"{name}_pymysql"] = best(fetch_pymysql, port)
            results[f"{name}_cli"] = best(fetch_cli, port)
        results["sluice_rss_mb"] = peak_rss_mb(sluice.pid)
        for name, port in (("sluice", QUERY_PORT), ("mariadb", MARIADB_PORT)):
            results[f"{name}_points"] = point_queries(port)
    finally:
        for server in (sluice, mariadb):
            if server:
                server.terminate()
                server.wait()
        shutil.rmtree(work, ignore_errors=True)

    version = subprocess.run(["mariadbd", "--version"], capture_output=True, text=True).stdout.strip()
    rate = lambda seconds: f"{ROWS / seconds:,.0f}"
    lines = [
        "# MySQL protocol benchmark", "",
        f"`scripts/bench-mysql.sh` ({ROWS:,} rows × 10 columns, the load benchmark's generated events; "
        f"Sluice release build vs {version}, both on 127.0.0.1 over TCP, best of {RUNS}; "
        f"{os.cpu_count()} cores).", "",
        "## Full fetch: `SELECT * FROM events`", "",
        "| Client | Sluice rows/s | MariaDB rows/s | Sluice / MariaDB |", "|---|---|---|---|",
    ]
    for client, label in (("pymysql", "PyMySQL `fetchall()`"), ("cli", "`mysql -B -e` to a pipe")):
        s, m = results[f"sluice_{client}"], results[f"mariadb_{client}"]
        lines.append(f"| {label} | {rate(s)} | {rate(m)} | **{m / s:.2f}×** |")
    lines += ["", f"Target ≥ 1.0× for both clients. Sluice peak RSS during the run: {results['sluice_rss_mb']:.0f} MB.", "",
              f"## {CLIENTS} concurrent connections, {QUERIES_PER_CLIENT} point queries each",
              "", "`SELECT * FROM events WHERE event_id = ?` (PyMySQL, one connection per thread; MariaDB answers "
              "from its primary-key index, Sluice prunes segments and pages by zone maps).", "",
              "| Server | queries | errors | p50 | p99 | wall |", "|---|---|---|---|---|---|"]
    for name in ("sluice", "mariadb"):
        r = results[f"{name}_points"]
        lines.append(f"| {name} | {r['queries']} | {len(r['errors'])} | {r['p50'] * 1000:.1f} ms | "
                     f"{r['p99'] * 1000:.1f} ms | {r['wall']:.1f} s |")
    report = "\n".join(lines) + "\n"
    with open("docs/benchmarks-mysql.md", "w") as f:
        f.write(report)
    print(report)
    for name in ("sluice", "mariadb"):
        if results[f"{name}_points"]["errors"]:
            print(name, "errors:", results[f"{name}_points"]["errors"][:3])


if __name__ == "__main__":
    main()
