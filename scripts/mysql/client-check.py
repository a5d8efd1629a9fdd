#!/usr/bin/env python3
"""Drives Sluice's MySQL port with PyMySQL and mysql-connector-python (pure and C extension).

Usage: client-check.py PORT. Prints one line per check; exits non-zero on the first failure.
Run by Tests/SluiceServerTests/MySQLClientsTests.swift against a real `sluice serve`.
"""
import datetime
import decimal
import re
import sys

import mysql.connector
import pymysql

port = int(sys.argv[1])


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + (f": {detail}" if detail else ""))
    if not condition:
        sys.exit(1)


# PyMySQL: DDL, types, INSERT info, multi-statements, errors, ping.
conn = pymysql.connect(host="127.0.0.1", port=port, user="root", password="")
cur = conn.cursor()
cur.execute("CREATE DATABASE demo")
conn.select_db("demo")
cur.execute(
    "CREATE TABLE t (id INT, name VARCHAR(32), score DECIMAL(10,2), ts DATETIME, ok BOOLEAN) "
    "DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1")
cur.execute("INSERT INTO t VALUES (1,'a',1.50,'2024-01-02 03:04:05',true),(2,'',NULL,NULL,false)")
check("pymysql insert rowcount", cur.rowcount == 2, cur.rowcount)
message = conn._result.message.decode()
check("pymysql insert info", re.search(r"\{'label':'insert_[0-9a-f-]+', 'status':'VISIBLE', 'txnId':'\d+'\}$", message) is not None, message)
cur.execute("SELECT id,name,score,ts,ok FROM t ORDER BY id")
check("pymysql type codes", [d[1] for d in cur.description] == [3, 253, 246, 12, 1], cur.description)
rows = cur.fetchall()
check("pymysql values", rows == ((1, "a", decimal.Decimal("1.50"), datetime.datetime(2024, 1, 2, 3, 4, 5), 1), (2, "", None, None, 0)), rows)
cur.execute("INSERT INTO t (id, name) VALUES (%s, %s)", (3, "日本語😀"))
cur.execute("SELECT name, CHAR_LENGTH(name) FROM t WHERE id = 3")
check("pymysql unicode", cur.fetchall() == (("日本語😀", 4),))
cur.execute("SELECT 1; SELECT 2")
first = cur.fetchall()
more = cur.nextset()
check("pymysql multi-statement", first == ((1,),) and more and cur.fetchall() == ((2,),))
try:
    cur.execute("SELECT * FROM nope")
    check("pymysql unknown table", False)
except pymysql.err.MySQLError as e:
    check("pymysql unknown table", e.args[0] == 5502, e.args)
try:
    pymysql.connect(host="127.0.0.1", port=port, user="nobody", password="")
    check("pymysql bad login", False)
except pymysql.err.OperationalError as e:
    check("pymysql bad login", e.args == (1045, "Access denied for user 'nobody' (using password: NO)"), e.args)
try:
    pymysql.connect(host="127.0.0.1", port=port, user="root", password="", database="nope")
    check("pymysql unknown database", False)
except pymysql.err.OperationalError as e:
    check("pymysql unknown database", e.args[0] == 5501 and "Unknown database 'nope'" in e.args[1], e.args)
auto = pymysql.connect(host="127.0.0.1", port=port, user="root", password="", database="demo", autocommit=True)
auto.ping(reconnect=False)
c2 = auto.cursor()
c2.execute("SELECT CONNECTION_ID()")
check("pymysql connection id", c2.fetchone()[0] == auto.thread_id())
conn.commit()
conn.rollback()

# mysql-connector-python, pure and C extension; the pure one opens with caching_sha2_password.
for pure in (True, False):
    extra = {"auth_plugin": "caching_sha2_password"} if pure else {}
    cnx = mysql.connector.connect(host="127.0.0.1", port=port, user="root", password="", database="demo",
                                  use_pure=pure, **extra)
    check(f"connector(pure={pure}) version", cnx.get_server_info() == "8.0.33", cnx.get_server_info())
    check(f"connector(pure={pure}) autocommit off", cnx.autocommit is False)
    cnx.autocommit = True
    check(f"connector(pure={pure}) autocommit on", cnx.autocommit is True)
    cursor = cnx.cursor()
    cursor.execute("SELECT id, name FROM t WHERE id = 1")
    check(f"connector(pure={pure}) select", cursor.fetchall() == [(1, "a")])
    cnx.commit()
    cnx.rollback()
    cnx.cmd_query("SET query_timeout = 7")
    cnx.reset_session()
    cursor = cnx.cursor()
    cursor.execute("SELECT @@query_timeout")
    check(f"connector(pure={pure}) reset_session", cursor.fetchall() == [(300,)])
    cnx.close()
print("all checks passed")
