#!/usr/bin/env bash
# MySQL protocol benchmark: the same 1,000,000-row × 10-column events table in Sluice (release
# build, query port) and in a private MariaDB server (Debian's mariadb-server), fetched whole with
# PyMySQL and with the `mysql` client, then 200 concurrent connections running point queries; all
# in one run, reported as ratios. Usage: scripts/bench-mysql.sh [rows]  (writes docs/benchmarks-mysql.md)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v mariadbd >/dev/null 2>&1 || {
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q mariadb-server
}
python3 -c "import duckdb, pymysql" 2>/dev/null || python3 -m pip install -q duckdb pymysql
[ -x .build/release/sluice ] || swift build -c release
exec python3 scripts/bench_mysql.py "${1:-1000000}"
