#!/usr/bin/env bash
# Starts the release server on ./data with config/sluice.json, loads examples/sql/demo.sql and
# shows a query. The server keeps running in the foreground; Ctrl-C (SIGINT) stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/sluice
port=${SLUICE_SERVER_HTTP_PORT:-8030}

"$bin" serve --config config/sluice.json --data-dir "${SLUICE_DATA_DIR:-data}" --http-port "$port" &
server=$!
trap 'kill -INT $server 2>/dev/null; wait $server' INT TERM

for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break
    sleep 0.1
done

echo "== loading examples/sql/demo.sql"
"$bin" sql --port "$port" < <(echo "CREATE DATABASE IF NOT EXISTS demo")
while IFS= read -r statement; do
    [ -n "$statement" ] || continue
    "$bin" sql --port "$port" -d demo "$statement" >/dev/null
done < <(python3 scripts/split-sql.py examples/sql/demo.sql)

echo "== SELECT country, count(*), sum(amount) FROM demo.events GROUP BY country ORDER BY 2 DESC LIMIT 5"
"$bin" sql --port "$port" -d demo "SELECT country, count(*), sum(amount) FROM events GROUP BY country ORDER BY 2 DESC LIMIT 5"
cat <<MSG

Sluice is running on http://127.0.0.1:$port (user root, empty password). Try:
  $bin sql --port $port -d demo "SELECT * FROM events ORDER BY event_id LIMIT 5"
  curl -u root: -X POST -d '{"query":"SHOW TABLET FROM demo.events"}' http://127.0.0.1:$port/api/v1/catalogs/default_catalog/sql
Press Ctrl-C to stop.
MSG
wait $server
