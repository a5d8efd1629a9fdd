#!/usr/bin/env python3
"""Follows the README's quick start as a new user would, as a test (issue 15): starts `make run`'s
demo (scripts/run-demo.sh), then runs every command of the README's shell blocks written for
while it is up — in order, with the binary, ports and brokers substituted — and fails on the first
command that fails. Waits for conditions, not for time (the job's rows are polled).

Usage: scripts/readme-walkthrough.py   (SLUICE_BIN, SLUICE_SERVER_HTTP_PORT, SLUICE_SERVER_QUERY_PORT)
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(root)
binary = os.environ.get("SLUICE_BIN", ".build/release/sluice")
http = os.environ.get("SLUICE_SERVER_HTTP_PORT", "8030")
query = os.environ.get("SLUICE_SERVER_QUERY_PORT", "9030")

# The README blocks run while `make run` is up: the one after "While `make run` is up" and the
# Routine Load over the MySQL protocol one.
readme = open("README.md").read()
blocks = []
for marker in ["While `make run` is up, in another shell:", "With `make run` up (it prints this line"]:
    start = readme.index(marker)
    fence = readme.index("```sh\n", start) + len("```sh\n")
    blocks.append(readme[fence:readme.index("```", fence)])
commands = []
for block in blocks:
    for command in block.replace("\\\n", " ").splitlines():
        if command.strip():
            commands.append(command)
if len(commands) < 8:
    sys.exit(f"README changed shape: found only {len(commands)} commands")

log = tempfile.NamedTemporaryFile(prefix="sluice-demo-", suffix=".log", delete=False)
demo = subprocess.Popen(["scripts/run-demo.sh"], stdout=log, stderr=subprocess.STDOUT,
                        env=dict(os.environ, SLUICE_BIN=binary), start_new_session=False)


def output():
    with open(log.name) as f:
        return f.read()


def stop(code):
    demo.send_signal(signal.SIGTERM)
    demo.wait(timeout=60)
    sys.exit(code)


deadline = time.time() + 180
while "Press Ctrl-C" not in output():
    if demo.poll() is not None or time.time() > deadline:
        print(output())
        sys.exit("make run's demo did not come up")
    time.sleep(0.2)
brokers = re.search(r"brokers: (\S+)", output()).group(1)

for command in commands:
    command = (command.replace(".build/release/sluice sql", f"{binary} sql --port {http}")
               .replace("127.0.0.1:8030", f"127.0.0.1:{http}").replace("-P9030", f"-P{query}")
               .replace("<brokers make run printed>", brokers))
    print("$ " + command, flush=True)
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True)
    print(result.stdout[-2000:], end="", flush=True)
    if result.returncode != 0 or '"Status": "Fail"' in result.stdout or '"status":"FAILED"' in result.stdout:
        print(result.stderr)
        print(f"README command failed ({result.returncode}): {command}")
        stop(1)

# The walkthrough's job loads what the demo's producer wrote: rows arrive.
deadline = time.time() + 120
count = "0"
while count in ("0", "") and time.time() < deadline:
    count = subprocess.run(["mysql", "-h127.0.0.1", f"-P{query}", "-uroot", "-N", "-e", "SELECT count(*) FROM shop.events"],
                           capture_output=True, text=True).stdout.strip()
    time.sleep(0.2)
print(f"shop.events rows: {count}")
stop(0 if count not in ("0", "") else 1)
