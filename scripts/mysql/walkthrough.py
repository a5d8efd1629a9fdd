#!/usr/bin/env python3
"""Runs examples/mysql/routine-load-walkthrough.sql through one MySQL client, then waits until the
job has loaded the expected rows.

Usage: walkthrough.py CLIENT PORT BROKERS EXPECTED_ROWS
CLIENT: pymysql | connector-pure | connector-c | sqlalchemy. Prints `walkthrough ok CLIENT rows=N
state=S`; exits non-zero on failure. Run by Tests/SluiceServerTests/MySQLWalkthroughTests.swift.
"""
import os
import sys
import time

client, port, brokers, expected = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(root, "examples/mysql/routine-load-walkthrough.sql")) as f:
    script = "\n".join(line for line in f.read().splitlines() if not line.startswith("--"))
statements = [s.strip() for s in script.replace("${KAFKA_BROKERS}", brokers).split(";") if s.strip()]

if client == "sqlalchemy":
    from sqlalchemy import create_engine

    engine = create_engine(f"starrocks://root:@127.0.0.1:{port}/")
    conn = engine.connect()

    def run(sql):
        result = conn.exec_driver_sql(sql)
        return [tuple(r) for r in result.fetchall()] if result.returns_rows else []
else:
    if client == "pymysql":
        import pymysql

        conn = pymysql.connect(host="127.0.0.1", port=port, user="root", password="", autocommit=True)
    else:
        import mysql.connector

        conn = mysql.connector.connect(host="127.0.0.1", port=port, user="root", password="",
                                       use_pure=client == "connector-pure", autocommit=True)
    cursor = conn.cursor()

    def run(sql):
        cursor.execute(sql)
        return [tuple(r) for r in cursor.fetchall()] if cursor.description else []

results = [run(sql) for sql in statements]
jobs = results[-2]
if len(jobs) != 1 or jobs[0][1] != "events_job":
    sys.exit(f"SHOW ROUTINE LOAD returned {jobs}")
deadline = time.time() + 90
rows = results[-1][0][0]
while rows != expected and time.time() < deadline:
    time.sleep(0.2)
    rows = run(statements[-1])[0][0]
state = run(statements[-2])[0][7]
if rows != expected or state != "RUNNING":
    sys.exit(f"walkthrough {client}: rows={rows} (expected {expected}) state={state}")
print(f"walkthrough ok {client} rows={rows} state={state}")
