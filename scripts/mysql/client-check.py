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
try:
    cur.execute("INSERT INTO t (id, name) VALUES (10, 'x'), (11, '%s')" % ("y" * 40))
    check("pymysql strict insert", False)
except pymysql.err.MySQLError as e:
    check("pymysql strict insert", "Insert has filtered data" in e.args[1], e.args)
cur.execute("SET enable_insert_strict = false")
cur.execute("INSERT INTO t (id, name) VALUES (10, 'x'), (11, '%s')" % ("y" * 40))
check("pymysql non-strict insert", cur.rowcount == 1 and conn._result.warning_count == 1,
      (cur.rowcount, conn._result.warning_count))
cur.execute("SET enable_insert_strict = true")
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
    # Server-side prepared statements: binary parameters in, binary rows out (scenario 41).
    prepared = cnx.cursor(prepared=True)
    prepared.execute("SELECT id, name FROM t WHERE id = %s", (1,))
    check(f"connector(pure={pure}) prepared select", prepared.fetchall() == [(1, "a")])
    prepared.execute("SELECT id, name, score, ts, ok FROM t WHERE id = ? OR name = ? ORDER BY id", (2, "a"))
    rows = prepared.fetchall()
    check(f"connector(pure={pure}) prepared types",
          rows == [(1, "a", decimal.Decimal("1.50"), datetime.datetime(2024, 1, 2, 3, 4, 5), 1), (2, "", None, None, 0)], rows)
    prepared.execute("SELECT CONCAT(?, ?), ? + 1, ?", ("it's \\ ", "日本", 41, datetime.date(2024, 2, 29)))
    rows = prepared.fetchall()
    check(f"connector(pure={pure}) prepared literals", rows == [("it's \\ 日本", 42, "2024-02-29")], rows)
    try:
        prepared.execute("SELEC ?", (1,))
        check(f"connector(pure={pure}) prepared syntax error", False)
    except mysql.connector.Error as e:
        # The C extension reports prepare failures as InterfaceError without the server's code.
        check(f"connector(pure={pure}) prepared syntax error",
              e.errno == 1064 if pure else "Getting syntax error" in str(e), e)
    prepared.close()
    cnx.commit()
    cnx.rollback()
    # COM_CHANGE_USER starts a fresh session (variables back to defaults, the new database).
    cnx.cmd_query("SET query_timeout = 8")
    cnx.cmd_change_user(username="root", password="", database="information_schema")
    cursor = cnx.cursor()
    cursor.execute("SELECT DATABASE(), @@query_timeout")
    check(f"connector(pure={pure}) change_user", cursor.fetchall() == [("information_schema", 300)])
    cnx.cmd_init_db("demo")
    cnx.cmd_query("SET query_timeout = 7")
    cnx.reset_session()
    cursor = cnx.cursor()
    cursor.execute("SELECT @@query_timeout")
    check(f"connector(pure={pure}) reset_session", cursor.fetchall() == [(300,)])
    cnx.close()

# mysqlclient (MySQLdb, over libmariadb): scenarios 10, 29, 31.
import MySQLdb

mc = MySQLdb.connect(host="127.0.0.1", port=port, user="root", password="", database="demo", charset="utf8mb4")
check("mysqlclient version", mc.get_server_info() == "8.0.33", mc.get_server_info())
mcur = mc.cursor()
mcur.execute("SELECT 1")
check("mysqlclient select", mcur.fetchall() == ((1,),))
mcur.execute("SELECT 1; SELECT 2")
first = mcur.fetchall()
check("mysqlclient multi-statement", first == ((1,),) and mcur.nextset() and mcur.fetchall() == ((2,),))
mcur.execute("INSERT INTO t (id, name) VALUES (20, 'm')")
check("mysqlclient insert info",
      re.search(r"^\{'label':'insert_[0-9a-f-]+', 'status':'VISIBLE', 'txnId':'\d+'\}$", mc.info() or "") is not None,
      mc.info())
mc.close()

# What DBeaver, mycli and Grafana send (spec §4.6, §4.9, §4.10): all answer, `mysql.*` fails
# without closing the connection.
tools = pymysql.connect(host="127.0.0.1", port=port, user="root", password="", database="demo")
tc = tools.cursor()
for sql in [
    "SET character_set_results = NULL", "SET autocommit=1", "SET sql_mode='STRICT_TRANS_TABLES'",
    "SELECT DATABASE()", "SHOW ENGINES", "SHOW CHARSET", "SHOW COLLATION",
    "SELECT @@GLOBAL.character_set_server,@@GLOBAL.collation_server", "SHOW PLUGINS",
    "SHOW VARIABLES LIKE 'lower_case_table_names'", "show databases",
    "SELECT * FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = 'information_schema' AND t.TABLE_NAME = 'CHECK_CONSTRAINTS'",
    "SHOW FULL PROCESSLIST", "SHOW PRIVILEGES", "SHOW STATUS", "SHOW GLOBAL STATUS", "SHOW VARIABLES",
    "SHOW GLOBAL VARIABLES", "SHOW FULL TABLES FROM `demo`", "SHOW TABLE STATUS FROM `demo`",
    "SELECT * FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='demo' AND TABLE_NAME='t' ORDER BY ORDINAL_POSITION",
    "SHOW CREATE TABLE t", "SHOW INDEX FROM `demo`.`t`",
    "select TABLE_NAME, COLUMN_NAME from information_schema.columns where table_schema = 'demo' order by table_name,ordinal_position",
    "SELECT DISTINCT TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'demo' AND SEQ_IN_INDEX = 1 AND COLUMN_NAME IS NOT NULL ORDER BY TABLE_NAME, COLUMN_NAME",
    "select TABLE_NAME, COLUMN_NAME, COLUMN_TYPE from information_schema.columns where table_schema = 'demo' and data_type = 'enum' order by table_name,ordinal_position",
    "SELECT TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = 'demo' AND REFERENCED_TABLE_NAME IS NOT NULL",
    'SELECT ROUTINE_NAME FROM INFORMATION_SCHEMA.ROUTINES WHERE ROUTINE_TYPE="FUNCTION" AND ROUTINE_SCHEMA = \'demo\'',
    "SHOW CHARACTER SET", "SELECT @@version_comment, @@version", "SELECT DATABASE(), USER()",
]:
    tc.execute(sql)
    tc.fetchall()
for sql in ["SELECT * FROM mysql.user ORDER BY user", "SELECT CONCAT(\"'\", user, \"'@'\",host,\"'\") FROM mysql.user"]:
    try:
        tc.execute(sql)
        check("mysql schema refused", False, sql)
    except pymysql.err.MySQLError as e:
        check("mysql schema refused", e.args[0] == 5501, e.args)
tools.ping(reconnect=False)
tc.execute("SELECT DISTINCT TABLE_SCHEMA from information_schema.TABLES where TABLE_TYPE != 'SYSTEM VIEW' ORDER BY TABLE_SCHEMA")
schemas = [r[0] for r in tc.fetchall()]
check("grafana schemas", "demo" in schemas and "information_schema" not in schemas, schemas)
tc.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'demo' AND table_name = 't' ORDER BY column_name")
check("grafana columns", tc.fetchall() == (("id", "int"), ("name", "varchar"), ("ok", "tinyint"), ("score", "decimal"), ("ts", "datetime")))
tools.close()

# SQLAlchemy with the starrocks dialect: version, reflection, DDL, ORM round trip (spec §4.8, scenarios 17-18).
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, inspect, select, text

engine = create_engine(f"starrocks://root:@127.0.0.1:{port}/demo")
with engine.connect() as c:
    check("sqlalchemy connect", c.execute(text("SELECT 1")).scalar() == 1)
check("sqlalchemy version", engine.dialect.server_version_info[0] == 3, engine.dialect.server_version_info)
insp = inspect(engine)
check("sqlalchemy tables", "t" in insp.get_table_names(), insp.get_table_names())
check("sqlalchemy columns", [c["name"] for c in insp.get_columns("t")] == ["id", "name", "score", "ts", "ok"])
check("sqlalchemy has_table", insp.has_table("t") and not insp.has_table("nope"))
schemas = insp.get_schema_names()
check("sqlalchemy schemas", "demo" in schemas and "information_schema" in schemas, schemas)
metadata = MetaData()
users = Table("users", metadata, Column("id", Integer, primary_key=True, autoincrement=False),
              Column("name", String(32)), starrocks_primary_key="id", starrocks_distributed_by="HASH(id)")
metadata.create_all(engine)
with engine.begin() as c:
    c.execute(users.insert(), [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}])
    c.execute(text('INSERT INTO t VALUES (4,"d",2.00,NOW(),true)'))
with engine.connect() as c:
    check("sqlalchemy query", c.execute(select(users.c.name).order_by(users.c.id)).scalars().all() == ["ann", "bob"])
    check("sqlalchemy count", c.execute(text("SELECT COUNT(*) FROM t")).scalar() == 6)
reflected = Table("users", MetaData(), autoload_with=engine)
check("sqlalchemy reflect", [c.name for c in reflected.columns] == ["id", "name"], list(reflected.columns))
check("sqlalchemy reflect key", [c.name for c in reflected.primary_key.columns] == ["id"], reflected.primary_key)
engine.dispose()
print("all checks passed")
