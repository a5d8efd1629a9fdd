// swift-tools-version: 6.2
//
// Sluice — a StarRocks-compatible data-loading engine.
// Module layering follows docs/architecture.md: each target imports only targets listed above it.
import PackageDescription

/// One settings block for every target (swift-log / Hummingbird pattern). Warnings are errors:
/// the tree builds warning-free in debug and release, and stays so.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let nio = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")

var targets: [Target] = [
    // Small C helpers: the CPU's CRC32C instruction, glibc malloc tuning.
    .target(name: "CSluiceSupport"),
    // LZ4 block and frame compression (Debian liblz4-dev), found by pkg-config: segment pages
    // (SluiceFormat) and lz4_frame Stream Load bodies (SluiceHTTP).
    .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
    // Line editing and history for `sluice sql`'s interactive prompt.
    .systemLibrary(name: "CEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
    // zstd and bzip2 (Debian libzstd-dev, libbz2-dev) for compressed Stream Load bodies.
    .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
    .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
    // Parquet page codecs (SluiceFiles): snappy (Debian libsnappy-dev) and zlib's inflate for GZIP.
    .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // Pure values and byte codecs: types, values, encodings, pages, segments, CRC32C.
    .target(name: "SluiceFormat", dependencies: ["CSluiceSupport", "CLZ4"]),
    // File-system protocol, POSIX implementation, CRC-framed record log, lock file.
    .target(name: "SluiceIO", dependencies: ["SluiceFormat", "CSluiceSupport"]),
    // Expression AST, parser and vectorised evaluator shared by loads and SQL.
    .target(name: "SluiceExpr", dependencies: ["SluiceFormat", "CSluiceSupport"]),
    // Catalog, tablets, rowsets, segments, versions, compaction, the metadata journal, recovery.
    .target(name: "SluiceStorage", dependencies: ["SluiceFormat", "SluiceIO", logging]),
    // Labels, transaction ids and states of running loads (2PC grows here).
    .target(name: "SluiceTxn", dependencies: ["SluiceFormat", "SluiceIO", "SluiceStorage"]),
    // Protocol-neutral loading: parse CSV/JSON bytes, map columns, filter, convert, write.
    .target(
        name: "SluiceLoad",
        dependencies: [
            "SluiceFormat", "SluiceExpr", "SluiceStorage", "SluiceTxn", "SluiceIO", "CSluiceSupport", "CZstd", "CLZ4",
            "CBzip2", "CZlib",
        ]),
    // Parquet files read in Swift (issue 19): Thrift compact footer, pages, codecs, values into
    // load columns. No I/O of its own: bytes come through `ParquetSource`.
    .target(
        name: "SluiceParquet",
        dependencies: ["SluiceFormat", "SluiceExpr", "SluiceLoad", "SluiceIO", "CSnappy", "CZlib", "CZstd"]),
    // File loads (issue 19): path patterns, local files and S3-compatible storage (SigV4 over
    // async-http-client), Broker Load jobs.
    .target(
        name: "SluiceFiles",
        dependencies: [
            "SluiceFormat", "SluiceIO", "SluiceStorage", "SluiceTxn", "SluiceLoad", "SluiceExpr", "SluiceParquet",
            logging, nio,
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
    // Routine Load: jobs, micro-batches, exactly-once progress; reads through `MessageSource`.
    .target(
        name: "SluiceRoutineLoad",
        dependencies: ["SluiceLoad", "SluiceTxn", "SluiceStorage", "SluiceExpr", "SluiceFormat", logging]),
    // librdkafka (Debian librdkafka-dev), found by pkg-config. Only SluiceKafka imports it.
    .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
    // librdkafka-backed MessageSource, producer and embedded mock cluster.
    .target(name: "SluiceKafka", dependencies: ["SluiceRoutineLoad", "CRdKafka", logging]),
    // HTTP client of the Stream Load transaction interface: where remote-sink daemons write.
    .target(
        name: "SluiceSink",
        dependencies: [
            "SluiceRoutineLoad", "SluiceLoad", "SluiceStorage", logging, nio,
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
        ]),
    // SQL statements: parser and executor over storage snapshots.
    .target(
        name: "SluiceSQL",
        dependencies: [
            "SluiceFormat", "SluiceIO", "SluiceExpr", "SluiceStorage", "SluiceTxn", "SluiceLoad", "SluiceRoutineLoad",
            "SluiceFiles", "SluiceParquet", logging, .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
    // MySQL wire protocol (query port): packets, handshake, authentication.
    .target(
        name: "SluiceMySQL",
        dependencies: [
            "SluiceSQL", "SluiceStorage", "SluiceFormat", "SluiceIO", logging, nio,
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
    // HTTP front: SQL API (and later Stream Load and the transaction API).
    .target(
        name: "SluiceHTTP",
        dependencies: [
            "SluiceSQL", "SluiceStorage", "SluiceLoad", "SluiceTxn", "SluiceIO", "CLZ4", "CZstd", "CBzip2", logging,
            nio,
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]
    ),
    // Composition root: configuration, services, lifecycle.
    .target(
        name: "SluiceServer",
        dependencies: [
            "SluiceHTTP", "SluiceMySQL", "SluiceSQL", "SluiceStorage", "SluiceIO", "SluiceLoad", "SluiceTxn",
            "SluiceRoutineLoad", "SluiceKafka", "SluiceSink", "SluiceExpr", "SluiceFiles",
            "CSluiceSupport",
            logging,
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]
    ),
    .executableTarget(
        name: "sluice",
        dependencies: [
            "SluiceServer", "SluiceKafka", "SluiceFormat", "SluiceStorage", "SluiceFiles", "SluiceIO", "CEdit",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    // In-process benchmarks (`swift run -c release sluice-bench commit`): not part of the product.
    .executableTarget(
        name: "sluice-bench",
        dependencies: [
            "SluiceStorage", "SluiceTxn", "SluiceFormat", "SluiceIO",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    // Test support: simulated file system with crash injection, HTTP helpers, data generators.
    .target(
        name: "SluiceTesting",
        dependencies: [
            "SluiceFormat", "SluiceIO", "SluiceStorage", "SluiceRoutineLoad",
        ]
    ),
    .testTarget(name: "SluiceFormatTests", dependencies: ["SluiceFormat", "SluiceTesting"]),
    .testTarget(name: "SluiceMySQLTests", dependencies: ["SluiceMySQL", "SluiceFormat", "SluiceTesting"]),
    .testTarget(name: "SluiceIOTests", dependencies: ["SluiceIO", "SluiceTesting"]),
    .testTarget(
        name: "SluiceFilesTests",
        dependencies: [
            "SluiceFiles", "SluiceParquet", "SluiceIO", "SluiceTesting", "SluiceSQL", "SluiceLoad", "SluiceStorage",
            "SluiceTxn", "SluiceExpr", "SluiceFormat",
        ]),
    .testTarget(name: "SluiceExprTests", dependencies: ["SluiceExpr", "SluiceFormat"]),
    .testTarget(name: "SluiceStorageTests", dependencies: ["SluiceStorage", "SluiceTesting", "SluiceExpr"]),
    .testTarget(
        name: "SluiceRoutineLoadTests",
        dependencies: ["SluiceRoutineLoad", "SluiceLoad", "SluiceStorage", "SluiceTxn", "SluiceTesting"]),
    .testTarget(
        name: "SluiceKafkaTests", dependencies: ["SluiceKafka", "SluiceRoutineLoad", "SluiceTesting", "sluice"]),
    .testTarget(name: "SluiceLoadTests", dependencies: ["SluiceLoad", "SluiceStorage", "SluiceTxn", "SluiceTesting"]),
    .testTarget(
        name: "SluiceSQLTests", dependencies: ["SluiceSQL", "SluiceStorage", "SluiceTxn", "SluiceTesting", "SluiceIO"]),
    .testTarget(name: "SluiceTxnTests", dependencies: ["SluiceTxn", "SluiceStorage", "SluiceTesting"]),
    .testTarget(
        name: "SluiceHTTPTests",
        dependencies: ["SluiceHTTP", "SluiceLoad", .product(name: "HTTPTypes", package: "swift-http-types")]),
    .testTarget(name: "SimulationTests", dependencies: ["SluiceSQL", "SluiceStorage", "SluiceTesting", "SluiceTxn"]),
    .testTarget(
        name: "SluiceServerTests",
        dependencies: [
            "SluiceServer", "SluiceTesting", "SluiceKafka", "SluiceStorage", "SluiceMySQL", "SluiceIO", "sluice",
            "SluiceSink", "SluiceRoutineLoad",
            "CLZ4",
            "CZstd", "CBzip2",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]
    ),
]

for index in targets.indices where targets[index].type != .system && targets[index].name != "CSluiceSupport" {
    targets[index].swiftSettings = swiftSettings
}

// libFuzzer entry points (docs/limits.md): declared only when scripts/fuzz.sh builds them
// (SLUICE_FUZZ=1), with -sanitize=fuzzer, so ordinary builds and `swift test` never see them.
if Context.environment["SLUICE_FUZZ"] == "1" {
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("FuzzSQLParser", ["SluiceSQL"]),
        ("FuzzExpression", ["SluiceExpr", "SluiceFormat"]),
        ("FuzzCSV", ["SluiceLoad"]),
        ("FuzzJSON", ["SluiceLoad", "SluiceFormat"]),
        ("FuzzMySQLPacket", ["SluiceMySQL"]),
        ("FuzzJSONPath", ["SluiceLoad"]),
        (
            "FuzzStreamLoadHeaders",
            [
                "SluiceHTTP", "SluiceLoad", "SluiceFormat", "SluiceStorage", "SluiceTesting", "SluiceExpr",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        ("FuzzJournal", ["SluiceStorage", "SluiceIO", "SluiceTesting"]),
        ("FuzzSegment", ["SluiceFormat"]),
        ("FuzzAvro", ["SluiceLoad", "SluiceFormat"]),
        ("FuzzParquet", ["SluiceParquet", "SluiceFormat", "SluiceExpr"]),
    ]
    targets.append(.target(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"))
    for (name, dependencies) in fuzzTargets {
        targets.append(
            .executableTarget(
                name: name, dependencies: dependencies + ["CLibFuzzer"], path: "Fuzz/\(name)",
                swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library", "-sanitize=fuzzer"])],
                linkerSettings: [.unsafeFlags(["-sanitize=fuzzer"])]))
    }
}

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
    ],
    targets: targets
)
