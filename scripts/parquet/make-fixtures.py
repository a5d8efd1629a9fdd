#!/usr/bin/env python3
"""Writes the small Parquet files the file-load tests read (Tests/Fixtures/parquet/), with pyarrow.

Run once after changing it (`python3 -m pip install pyarrow`); the files are committed, so the
tests and CI never need pyarrow. Each file covers what the Swift reader must handle: codecs,
data page versions, dictionary and plain encodings, NULLs, logical types, several row groups.
"""
import datetime
import decimal
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../Tests/Fixtures/parquet")
os.makedirs(os.path.join(out, "u"), exist_ok=True)

# Spec C.6 scenario 9: id int32, name string, score int32, 3 rows.
pq.write_table(
    pa.table({
        "id": pa.array([1, 2, 3], pa.int32()),
        "name": pa.array(["Lily", "Rose", "Alice"], pa.string()),
        "score": pa.array([21, 22, 23], pa.int32()),
    }),
    os.path.join(out, "p.parquet"), compression="snappy")

# Scenario 10: the union of (c1 INT, c2 FLOAT) and (c1 INT, c2 INT) is c2 decimal(38, 9).
pq.write_table(pa.table({"c1": pa.array([1, 2], pa.int32()), "c2": pa.array([1.5, 2.25], pa.float32())}),
               os.path.join(out, "u", "a.parquet"))
pq.write_table(pa.table({"c1": pa.array([3], pa.int32()), "c2": pa.array([4], pa.int32())}),
               os.path.join(out, "u", "b.parquet"))

# Every logical type the reader maps, NULLs in each column, 5 rows.
utc = datetime.timezone.utc
types = pa.table({
    "b": pa.array([True, False, None, True, False], pa.bool_()),
    "i8": pa.array([-128, 127, None, 0, 1], pa.int8()),
    "i16": pa.array([-32768, 32767, None, 0, 2], pa.int16()),
    "i32": pa.array([-2147483648, 2147483647, None, 0, 3], pa.int32()),
    "i64": pa.array([-9223372036854775808, 9223372036854775807, None, 0, 4], pa.int64()),
    "u32": pa.array([4294967295, 0, None, 1, 5], pa.uint32()),
    "f32": pa.array([1.5, -0.25, None, 0.0, 3.0], pa.float32()),
    "f64": pa.array([3.141592653589793, -1e300, None, 0.0, 2.5], pa.float64()),
    "d9": pa.array([decimal.Decimal("1234567.89"), decimal.Decimal("-0.01"), None, decimal.Decimal("0"),
                    decimal.Decimal("5")], pa.decimal128(9, 2)),
    "d18": pa.array([decimal.Decimal("123456789012.345678"), decimal.Decimal("-1"), None, decimal.Decimal("0"),
                     decimal.Decimal("6")], pa.decimal128(18, 6)),
    "d30": pa.array([decimal.Decimal("123456789012345678901234.567891"), decimal.Decimal("-0.000001"), None,
                     decimal.Decimal("0"), decimal.Decimal("7")], pa.decimal128(30, 6)),
    "dt": pa.array([datetime.date(2024, 2, 29), datetime.date(1970, 1, 1), None, datetime.date(1, 1, 1),
                    datetime.date(9999, 12, 31)], pa.date32()),
    "ts_ms": pa.array([datetime.datetime(2024, 5, 6, 7, 8, 9, 123000), datetime.datetime(1970, 1, 1), None,
                       datetime.datetime(2000, 1, 1), datetime.datetime(2038, 1, 19, 3, 14, 7)], pa.timestamp("ms")),
    "ts_us_utc": pa.array([datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=utc),
                           datetime.datetime(1970, 1, 1, tzinfo=utc), None,
                           datetime.datetime(2000, 1, 1, 12, tzinfo=utc),
                           datetime.datetime(2024, 12, 31, 23, 59, 59, tzinfo=utc)], pa.timestamp("us", tz="UTC")),
    "ts_ns": pa.array([datetime.datetime(2024, 5, 6, 7, 8, 9, 123456), None, None, datetime.datetime(2000, 1, 1),
                       datetime.datetime(2001, 2, 3)], pa.timestamp("ns")),
    "s": pa.array(["héllo", "", None, "a,b", "x" * 30], pa.string()),
    "bin": pa.array([b"\x00\x01", b"", None, b"abc", b"z"], pa.binary()),
})
pq.write_table(types, os.path.join(out, "types-snappy-v1.parquet"), compression="snappy", data_page_version="1.0")
pq.write_table(types, os.path.join(out, "types-gzip-v2.parquet"), compression="gzip", data_page_version="2.0")
pq.write_table(types, os.path.join(out, "types-zstd-plain.parquet"), compression="zstd", use_dictionary=False)
pq.write_table(types, os.path.join(out, "types-none-int96.parquet"), compression="none",
               use_deprecated_int96_timestamps=True, row_group_size=2)

# Several row groups, dictionary-encoded strings, a REQUIRED column.
schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("city", pa.string()),
                    pa.field("amount", pa.float64())])
rows = 10000
pq.write_table(pa.table({
    "id": pa.array(range(rows), pa.int64()),
    "city": pa.array([["Lisbon", "Oslo", "Kyoto", None][i % 4] for i in range(rows)], pa.string()),
    "amount": pa.array([i * 0.5 for i in range(rows)], pa.float64()),
}, schema=schema), os.path.join(out, "groups.parquet"), row_group_size=3000, compression="snappy")

# A nested column: refused with a clear message.
pq.write_table(pa.table({"id": pa.array([1], pa.int32()), "tags": pa.array([["a", "b"]], pa.list_(pa.string()))}),
               os.path.join(out, "nested.parquet"))
print("fixtures written to", os.path.abspath(out))
