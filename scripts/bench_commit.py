#!/usr/bin/env python3
"""Commit throughput: many concurrent small commits (single-row INSERTs, one-row Stream Loads)
against the release server, and the latency of one commit at a time. Reports commits/s."""
import base64, json, os, shutil, sys, tempfile, threading, time, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from bench_load import sql, start_server  # noqa: E402

PORT = 18932
CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 64
PER_CLIENT = int(sys.argv[2]) if len(sys.argv) > 2 else 20
AUTH = "Basic " + base64.b64encode(b"root:").decode()


def stream_load(label, body):
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/api/b/t/_stream_load", data=body.encode(), method="PUT",
        headers={"Authorization": AUTH, "label": label, "column_separator": ",", "Expect": ""})
    with urllib.request.urlopen(request, timeout=600) as response:
        answer = json.loads(response.read())
        if answer["Status"] != "Success":
            raise SystemExit(f"load {label} failed: {answer}")


def insert(client, i):
    rows = sql(f"INSERT INTO t VALUES ({client * 1_000_000 + i}, 'v')", db="b", port=PORT)
    if any(r.get("status") == "FAILED" for r in rows):
        raise SystemExit(f"insert failed: {rows}")


def concurrent(work):
    """Runs work(client, i) for every client in its own thread; returns commits per second."""
    threads = [threading.Thread(target=lambda c=c: [work(c, i) for i in range(PER_CLIENT)]) for c in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return CLIENTS * PER_CLIENT / (time.perf_counter() - started)


def single_latency_ms(count=100):
    started = time.perf_counter()
    for i in range(count):
        insert(999, i)
    return (time.perf_counter() - started) / count * 1000


def measure(group_commit):
    """Latency and concurrent commits/s on a fresh server with storage.group_commit on or off."""
    os.environ["SLUICE_STORAGE_GROUP_COMMIT"] = "true" if group_commit else "false"
    directory = tempfile.mkdtemp(prefix="sluice-bench-commit-", dir=os.environ.get("BENCH_DIR", "."))
    server = start_server(directory, port=PORT)
    try:
        sql("CREATE DATABASE b", port=PORT)
        sql("CREATE TABLE t (id BIGINT, v VARCHAR(8)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4", db="b", port=PORT)
        latency = single_latency_ms()
        inserts = concurrent(insert)
        loads = concurrent(lambda c, i: stream_load(f"l-{c}-{i}", f"{c * 1_000_000 + 500_000 + i},s\n"))
        count = sql("SELECT count(*) FROM t", db="b", port=PORT)[2]["data"][0]
        expected = 100 + 2 * CLIENTS * PER_CLIENT
        if count != expected:
            raise SystemExit(f"expected {expected} rows, found {count}")
        return inserts, loads, latency
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


def main():
    """Group commit off and on in one run, alternating (off, on, on, off) so a machine that slows
    over the run (ext4's inode allocator after many files come and go) favours neither; prints
    the better of each and the ratios."""
    runs = {False: [], True: []}
    for mode in (False, True, True, False):
        runs[mode].append(measure(mode))
    off, on = ([max(r[i] for r in runs[mode]) if i < 2 else min(r[i] for r in runs[mode]) for i in range(3)]
               for mode in (False, True))
    print(json.dumps({
        "clients": CLIENTS, "per_client": PER_CLIENT,
        "insert_commits_per_s": {"without_group": round(off[0], 1), "with_group": round(on[0], 1),
                                 "ratio": round(on[0] / off[0], 2)},
        "stream_load_commits_per_s": {"without_group": round(off[1], 1), "with_group": round(on[1], 1),
                                      "ratio": round(on[1] / off[1], 2)},
        "single_insert_ms": {"without_group": round(off[2], 2), "with_group": round(on[2], 2)},
    }))


if __name__ == "__main__":
    main()
