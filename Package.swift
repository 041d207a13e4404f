// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ConsortiumRx",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "consortiumrx", targets: ["consortiumrx"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // The same URL as swift-openapi-generator's, so both resolve to one package.
        .package(url: "https://github.com/jpsim/Yams", "5.0.1"..<"7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
    ],
    targets: [
        /// The domain core: rules, eligibility, allocation, matching. No I/O.
        .target(
            name: "RxDomain",
            swiftSettings: strict
        ),
        /// The store: every SQL statement (reads and writes, no decisions), the migrator.
        .target(
            name: "RxStore",
            dependencies: [
                "RxDomain",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        /// The use cases: each opens the transaction, loads facts through the stores, asks RxDomain, writes through
        /// the stores and records the audit row. Imports and reconciliations live here. No SQL.
        .target(
            name: "RxUseCases",
            dependencies: [
                "RxDomain",
                "RxStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            swiftSettings: strict
        ),
        /// The HTTP API, generated from openapi.yaml, and the application wiring.
        .target(
            name: "RxAPI",
            dependencies: [
                "RxDomain",
                "RxStore",
                "RxUseCases",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [
                .embedInCode("openapi.yaml"),
                // The web console's templates and style sheet, in the binary (ConsoleTemplates).
                .embedInCode("Console/Templates/layout.mustache"), .embedInCode("Console/Templates/login.mustache"),
                .embedInCode("Console/Templates/home.mustache"), .embedInCode("Console/Templates/drugs.mustache"),
                .embedInCode("Console/Templates/drug.mustache"), .embedInCode("Console/Templates/catalogue.mustache"),
                .embedInCode("Console/Templates/draft.mustache"), .embedInCode("Console/Templates/error.mustache"),
                .embedInCode("Console/Templates/notices.mustache"), .embedInCode("Console/Templates/items.mustache"),
                .embedInCode("Console/Templates/decisions.mustache"), .embedInCode("Console/Templates/draft_item.mustache"),
                .embedInCode("Console/Templates/versions.mustache"), .embedInCode("Console/Templates/version.mustache"),
                .embedInCode("Console/Templates/diff.mustache"), .embedInCode("Console/Templates/report.mustache"),
                .embedInCode("Console/Templates/member.mustache"), .embedInCode("Console/Templates/desk.mustache"),
                .embedInCode("Console/Templates/patient.mustache"), .embedInCode("Console/Templates/users.mustache"),
                .embedInCode("Console/Templates/drug_edit.mustache"), .embedInCode("Console/Templates/pager.mustache"),
                .embedInCode("Console/Templates/lrx_print.mustache"), .embedInCode("Console/Templates/dashboard.mustache"),
                .embedInCode("Console/Templates/orders.mustache"), .embedInCode("Console/Templates/order_print.mustache"),
                .embedInCode("Console/Templates/receipt_print.mustache"),
                .embedInCode("Console/Templates/statements.mustache"), .embedInCode("Console/Templates/statement_print.mustache"),
                .embedInCode("Console/Templates/reconciliations.mustache"),
                .embedInCode("Console/Templates/reconciliation.mustache"),
                .embedInCode("Console/Templates/reconcile_upload.mustache"),
                .embedInCode("Console/Templates/reconcile_result.mustache"),
                .embedInCode("Console/Templates/stock.mustache"), .embedInCode("Console/Templates/stock_lot.mustache"),
                .embedInCode("Console/Templates/shortages.mustache"), .embedInCode("Console/Templates/shortage.mustache"),
                .embedInCode("Console/Templates/transfers.mustache"), .embedInCode("Console/Templates/transfer.mustache"),
                .embedInCode("Console/Templates/extended.mustache"), .embedInCode("Console/Templates/order.mustache"),
                .embedInCode("Console/Templates/stock_transfers.mustache"),
                .embedInCode("Console/Templates/stock_transfer.mustache"),
                .embedInCode("Console/Templates/stock_counts.mustache"),
                .embedInCode("Console/Templates/stock_count.mustache"),
                .embedInCode("Console/Templates/consolidations.mustache"),
                .embedInCode("Console/Templates/consolidation.mustache"),
                .embedInCode("Console/Templates/invoices.mustache"),
                .embedInCode("Console/Templates/invoice.mustache"),
                .embedInCode("Console/Templates/payables.mustache"),
                .embedInCode("Console/Templates/spend.mustache"),
                .embedInCode("Console/Templates/extended_prescription.mustache"),
                .embedInCode("Console/Templates/herbs.mustache"), .embedInCode("Console/Templates/herb_round.mustache"),
                .embedInCode("Console/Templates/console.css"),
            ],
            swiftSettings: strict,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        /// The command tree's logic, a library so tests can call it without the binary.
        .target(
            name: "RxCLI",
            dependencies: [
                "RxDomain",
                "RxStore",
                "RxUseCases",
                "RxAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "consortiumrx",
            dependencies: ["RxCLI"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RxDomainTests",
            dependencies: ["RxDomain"],
            swiftSettings: strict
        ),
        /// The pure parts of the store and the API (CSV parser, SQL splitter, URL parsing, JSON reader and writer,
        /// the read coalescer): no database.
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "RxAPI", "RxStore", "RxDomain", "RxUseCases",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "RxAPI", "RxStore", "RxUseCases", "RxCLI", "RxDomain",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
