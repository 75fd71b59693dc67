// swift-tools-version:6.1
import PackageDescription

// Layers, bottom to top: Diagnostics ← YAML ← Catalog ← CEL ← Flows (syntax tree, checker, lowering)
// ← Graph ← Runtime (with State, the SQLite store) ← the `flowc` command. Each layer is its own module with its own tests.
let package = Package(
    name: "flowc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "flowc", targets: ["flowc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "Diagnostics"),
        .target(name: "YAML", dependencies: ["CYAML", "Diagnostics"]),
        .target(
            name: "Catalog",
            dependencies: ["Diagnostics"],
            resources: [.embedInCode("Resources/catalog.json")]
        ),
        .target(name: "CEL", dependencies: ["Diagnostics"]),
        .target(name: "Flows", dependencies: ["Diagnostics", "YAML", "Catalog", "CEL"]),
        .target(name: "Graph", dependencies: ["Diagnostics", "Flows", "CEL", "Catalog"]),
        .target(name: "State", dependencies: ["CSQLite", "Diagnostics"]),
        .target(name: "Runtime", dependencies: ["Diagnostics", "Graph", "CEL", "Catalog", "Flows", "State"]),
        .target(name: "FlowTestRunner", dependencies: ["Diagnostics", "YAML", "Catalog", "CEL", "Flows", "Graph", "Runtime"]),
        .executableTarget(
            name: "flowc",
            dependencies: [
                "Diagnostics", "YAML", "Catalog", "CEL", "Flows", "Graph", "Runtime", "State", "FlowTestRunner",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "flowc-bench",
            dependencies: ["Diagnostics", "YAML", "Catalog", "CEL", "Flows", "Graph", "Runtime"],
            path: "bench/Sources/flowc-bench"
        ),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "Diagnostics"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog"], exclude: ["SchemaFixtures", "validate_flows.py"]),
        .testTarget(name: "CELTests", dependencies: ["CEL", "Diagnostics"]),
        .testTarget(
            name: "FlowsTests",
            dependencies: ["Flows", "YAML", "Catalog", "Diagnostics"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "GraphTests", dependencies: ["Graph", "Flows", "YAML", "Catalog", "CEL", "Diagnostics"], exclude: ["Fixtures"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "State", "Graph", "Flows", "YAML", "Catalog", "CEL", "Diagnostics"]),
        .testTarget(name: "StateTests", dependencies: ["State"]),
        .testTarget(name: "FlowTestRunnerTests", dependencies: ["FlowTestRunner", "Runtime", "Graph", "Flows", "YAML", "Catalog", "CEL", "Diagnostics"]),
        .testTarget(name: "FlowcTests", dependencies: ["flowc"]),
    ]
)
