#!/usr/bin/env bash
# Installs what Sluice needs on a Debian machine, skipping what is already there.
# Swift 6.x must already be on PATH (the toolchain is not an apt package).
set -euo pipefail

need_apt=()
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
dpkg -s zlib1g-dev >/dev/null 2>&1 || need_apt+=(zlib1g-dev)   # gzip Stream Load bodies (compress-nio)
dpkg -s liblz4-dev >/dev/null 2>&1 || need_apt+=(liblz4-dev)   # page compression, lz4_frame bodies (CLZ4)
dpkg -s libzstd-dev >/dev/null 2>&1 || need_apt+=(libzstd-dev)   # zstd Stream Load bodies (CZstd)
dpkg -s libbz2-dev >/dev/null 2>&1 || need_apt+=(libbz2-dev)   # bzip2 Stream Load bodies (CBzip2)
dpkg -s libsnappy-dev >/dev/null 2>&1 || need_apt+=(libsnappy-dev)   # SNAPPY Parquet pages (CSnappy)
dpkg -s libedit-dev >/dev/null 2>&1 || need_apt+=(libedit-dev)   # sluice sql's line editing and history (CEdit)
dpkg -s librdkafka-dev >/dev/null 2>&1 || need_apt+=(librdkafka-dev)   # Kafka client (CRdKafka)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)   # peer in the Routine Load benchmark
command -v mariadb >/dev/null 2>&1 || need_apt+=(mariadb-client)   # real MySQL client in the protocol tests
dpkg -s libmariadb-dev >/dev/null 2>&1 || need_apt+=(libmariadb-dev)   # builds mysqlclient (MySQLdb) for them
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)   # headless browser of the status-page test
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)   # test certificates of the TLS tests

if ((${#need_apt[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_apt[@]}"
fi

# Python MySQL drivers, SQLAlchemy's StarRocks dialect and mycli, which the protocol tests drive against
# the query port (mysql-connector-python 9.1 ships a working C extension for CPython 3.11 on
# x86_64; later wheels import without it).
if ! python3 -c "import pymysql, mysql.connector, _mysql_connector, sqlalchemy, starrocks, MySQLdb, mycli" \
    >/dev/null 2>&1; then
    python3 -m pip install -q pymysql "mysql-connector-python==9.1.0" "sqlalchemy>=2.0,<2.2" "starrocks==1.3.4" \
        mysqlclient mycli
fi

# fastavro: the Avro Routine Load tests make their Confluent payloads with it (schemaless_writer).
if ! python3 -c "import fastavro" >/dev/null 2>&1; then
    python3 -m pip install -q "fastavro>=1.9"
fi

# moto: the S3-compatible server of the file-load tests (scripts/s3/s3-server.py runs its S3 app).
if ! python3 -c "import moto.moto_server.werkzeug_app, werkzeug, flask, flask_cors" >/dev/null 2>&1; then
    python3 -m pip install -q "moto[server]>=5,<6"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "swift is not on PATH: install Swift 6.x (https://www.swift.org/install/linux/)" >&2
    exit 1
fi
