#!/usr/bin/env python3
"""/livez responsiveness while large loads run: 16 concurrent Stream Loads of a large CSV against
the release server, while a probe asks /livez every 20 ms on its own connection. Reports the
probe's p50/p99/max latency, the loads' rows/s, and the same probe on an idle server."""
import http.client, json, os, shutil, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(__file__))
from bench_load import sql, start_server  # noqa: E402

PORT = 18933
LOADS = int(sys.argv[1]) if len(sys.argv) > 1 else 16
ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000


def probe(stop, samples):
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    while not stop.is_set():
        started = time.perf_counter()
        connection.request("GET", "/livez")
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"/livez answered {response.status}")
        samples.append((time.perf_counter() - started) * 1000)
        time.sleep(0.02)


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def measure_probe(seconds):
    stop, samples = threading.Event(), []
    thread = threading.Thread(target=probe, args=(stop, samples))
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join()
    return samples


def load(path, label, results):
    # The loaders stand in for clients on other machines: niced, so the probe measures the
    # server, not 16 curl processes competing with it for the two cores.
    out = subprocess.run(
        ["nice", "-n", "19", "curl", "-s", "-u", "root:", "-H", f"label: {label}", "-H", "column_separator: ,", "-T", path,
         f"http://127.0.0.1:{PORT}/api/b/t/_stream_load"], capture_output=True, check=True)
    results.append(json.loads(out.stdout))


def main():
    directory = tempfile.mkdtemp(prefix="sluice-bench-livez-", dir=os.environ.get("BENCH_DIR", "."))
    data = os.path.join(directory, "rows.csv")
    with open(data, "w") as f:
        for i in range(ROWS):
            f.write(f"{i},{i % 1000},name-{i % 7919},2024-01-{i % 28 + 1:02d}\n")
    server = start_server(os.path.join(directory, "data"), port=PORT)
    try:
        sql("CREATE DATABASE b", port=PORT)
        sql("CREATE TABLE t (id BIGINT, k INT, s VARCHAR(32), d DATE) DUPLICATE KEY(id) "
            "DISTRIBUTED BY HASH(id) BUCKETS 8", db="b", port=PORT)
        idle = measure_probe(2)
        stop, busy = threading.Event(), []
        prober = threading.Thread(target=probe, args=(stop, busy))
        prober.start()
        results = []
        threads = [threading.Thread(target=load, args=(data, f"big-{n}", results)) for n in range(LOADS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        stop.set()
        prober.join()
        failed = [r for r in results if r.get("Status") != "Success"]
        if failed:
            raise SystemExit(f"loads failed: {failed[:2]}")
        count = sql("SELECT count(*) FROM t", db="b", port=PORT)[2]["data"][0]
        if count != LOADS * ROWS:
            raise SystemExit(f"expected {LOADS * ROWS} rows, found {count}")
        print(json.dumps({
            "loads": LOADS, "rows_per_load": ROWS, "seconds": round(elapsed, 2),
            "rows_per_second": round(LOADS * ROWS / elapsed),
            "livez_idle_ms": {"p50": round(percentile(idle, 0.5), 2), "p99": round(percentile(idle, 0.99), 2)},
            "livez_under_load_ms": {
                "samples": len(busy), "p50": round(percentile(busy, 0.5), 2),
                "p99": round(percentile(busy, 0.99), 2), "max": round(max(busy), 2)},
        }))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
