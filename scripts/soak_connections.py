#!/usr/bin/env python3
"""Issue 16's load-under-siege soak: 2,000 idle connections, a slow-loris client and 64 concurrent
100 MB Stream Loads against one release server. Passes when every load succeeds with exactly its
rows, `SELECT 1` answers within 1 s throughout, and the server's peak RSS stays under the
configured load memory budget plus a fixed base. Prints the measurements."""
import base64, json, os, resource, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.request

LOADS = int(os.environ.get("SOAK_LOADS", "64"))
LOAD_MB = int(os.environ.get("SOAK_LOAD_MB", "100"))
IDLE = int(os.environ.get("SOAK_IDLE", "2000"))
BUDGET = int(os.environ.get("SOAK_BUDGET_BYTES", str(2 << 30)))
BASE_MB = 512  # the process without loads: code, catalog, label tables, connection buffers
PORT = 18977
AUTH = "Basic " + base64.b64encode(b"root:").decode()


def sql(query):
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}/api/v1/catalogs/default_catalog/sql",
                                     data=json.dumps({"query": query}).encode(), headers={"Authorization": AUTH})
    with urllib.request.urlopen(request, timeout=60) as response:
        return [json.loads(line) for line in response.read().splitlines() if line]


def last_object(text):
    """The last JSON object of curl's output (a retried load prints each attempt's answer)."""
    decoder, objects, at = json.JSONDecoder(), [], 0
    while at < len(text):
        while at < len(text) and text[at] != "{":
            at += 1
        if at == len(text):
            break
        value, at = decoder.raw_decode(text, at)
        objects.append(value)
    return objects[-1] if objects else {}


def rss_mb(pid, field="VmRSS:"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = tempfile.mkdtemp(prefix="sluice-soak-")
    body = os.path.join(work, "body.csv")
    rows_per_load = 0
    with open(body, "w") as f:
        line = 0
        while f.tell() < LOAD_MB << 20:
            f.write(f"{line},user_{line % 1000},{line % 977}.25,2025-01-{line % 28 + 1:02d} 10:00:00\n")
            line += 1
        rows_per_load = line
    env = dict(os.environ, SLUICE_LOAD_TOTAL_MEMORY_LIMIT_BYTES=str(BUDGET))
    server = subprocess.Popen([".build/release/sluice", "serve", "--data-dir", os.path.join(work, "data"),
                               "--http-port", str(PORT), "--query-port", "0"], stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(400):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/livez", timeout=1)
                break
            except Exception:
                time.sleep(0.05)
        sql("CREATE DATABASE soak")
        sql("CREATE TABLE soak.t (id BIGINT, name VARCHAR(16), amount DECIMAL(10,2), ts DATETIME) "
            "DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4")
        idle = [socket.create_connection(("127.0.0.1", PORT)) for _ in range(IDLE)]
        loris = socket.create_connection(("127.0.0.1", PORT))
        loris.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n")
        stop = threading.Event()

        def trickle():
            n = 0
            while not stop.is_set():
                try:
                    loris.sendall(f"X-L{n}: z\r\n".encode())
                except OSError:
                    return
                n += 1
                stop.wait(1)

        threading.Thread(target=trickle, daemon=True).start()
        latencies, peak = [], [0.0]

        def probe():
            while not stop.is_set():
                started = time.monotonic()
                assert sql("SELECT 1")[-2]["data"] == [1]
                latencies.append(time.monotonic() - started)
                peak[0] = max(peak[0], rss_mb(server.pid))
                stop.wait(0.2)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        started = time.monotonic()
        # A load refused for memory (503 "too busy", nothing written) is retried with the same label.
        curls = [subprocess.Popen(["curl", "-sS", "--retry", "300", "--retry-delay", "1", "-u", "root:", "-H", f"label: soak{i}", "-H", "column_separator: ,",
                                   "-T", body, f"http://127.0.0.1:{PORT}/api/soak/t/_stream_load"],
                                  stdout=subprocess.PIPE) for i in range(LOADS)]
        answers = [last_object(c.communicate()[0].decode()) for c in curls]
        elapsed = time.monotonic() - started
        stop.set()
        prober.join()
        statuses = [a.get("Status") for a in answers]
        count = sql("SELECT count(*) FROM soak.t")[-2]["data"][0]
        hwm = rss_mb(server.pid, "VmHWM:")
        limit_mb = BUDGET / (1 << 20) + BASE_MB
        worst = max(latencies) if latencies else float("inf")
        p99 = sorted(latencies)[int(len(latencies) * 0.99)] if latencies else float("inf")
        print(f"loads: {LOADS} x {LOAD_MB} MB in {elapsed:.1f} s ({LOADS * LOAD_MB / elapsed:.0f} MB/s), "
              f"statuses {sorted(set(statuses))}, rows {count} (expected {LOADS * rows_per_load})")
        print(f"SELECT 1 while loading: {len(latencies)} probes, p99 {p99 * 1000:.0f} ms, max {worst * 1000:.0f} ms")
        print(f"server RSS: peak {hwm:.0f} MB (limit: load budget {BUDGET >> 20} MB + base {BASE_MB} MB = "
              f"{limit_mb:.0f} MB); idle connections held: {IDLE}")
        ok = statuses == ["Success"] * LOADS and count == LOADS * rows_per_load and worst < 1.0 and hwm < limit_mb
        for s in idle:
            s.close()
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
