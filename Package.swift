// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// The engine is optimized in debug builds too: the real-model tests run 30-layer forward passes.
let kernels: [SwiftSetting] = strict + [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

// Integer dot-product kernels for x86-64 processors with AVX-VNNI, and the same source built for AVX-512 VNNI
// (its 256-bit form, for processors such as AMD's Zen 4 that have AVX-512 VNNI but not AVX-VNNI) and for AVX2. Each module is
// compiled for its features (the rest of the engine is not), and CairnInference calls one only after checking the
// processor.
#if arch(x86_64)
let vnniTargets: [Target] = [
    .target(
        name: "CairnVNNI",
        dependencies: ["CPrefetch"],
        swiftSettings: kernels + [
            .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c", "-Xcc", "-mavxvnni"]),
        ]
    ),
    .target(
        name: "CairnVNNI512",
        dependencies: ["CPrefetch"],
        swiftSettings: kernels + [
            .define("CAIRN_AVX512_VNNI"),
            .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c", "-Xcc", "-mavx512f", "-Xcc", "-mavx512bw",
                          "-Xcc", "-mavx512vl", "-Xcc", "-mavx512vnni"]),
        ]
    ),
    // The same source again for processors with AVX2 but neither VNNI (AMD's Zen 2 and Zen 3, Intel before Ice Lake).
    .target(
        name: "CairnAVX2",
        dependencies: ["CPrefetch"],
        swiftSettings: kernels + [
            .define("CAIRN_AVX2_DOT"),
            .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"]),
        ]
    ),
    // A prefetch hint the kernels can call (Swift has none).
    .target(name: "CPrefetch", cSettings: [.unsafeFlags(["-O3"])]),
    // Float32 products over weights kept in panels (the verifier's passes): kernels for AVX-512F and for AVX2, each
    // compiled for its instructions by a function attribute and called only on processors that have them.
    .target(
        name: "CFloatPanels",
        cSettings: [.unsafeFlags(["-O3"])]
    ),
]
let vnniDependencies: [Target.Dependency] = ["CairnVNNI", "CairnVNNI512", "CairnAVX2", "CFloatPanels"]
#else
let vnniTargets: [Target] = []
let vnniDependencies: [Target.Dependency] = []
#endif

let package = Package(
    name: "cairn",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
        .library(name: "CairnClient", targets: ["CairnClient"]),
        .library(name: "CairnInference", targets: ["CairnInference"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/attaswift/BigInt.git", exact: "6.0.1"),
    ],
    targets: [
        .target(
            name: "CairnPrimitives",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CairnStorage",
            dependencies: [
                "CairnPrimitives",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CairnLedger",
            dependencies: ["CairnPrimitives"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnBank",
            dependencies: ["CairnPrimitives", "CairnLedger"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnStaking",
            dependencies: ["CairnPrimitives", "CairnLedger"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnGovernance",
            dependencies: ["CairnPrimitives", "CairnLedger"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnModels",
            dependencies: ["CairnPrimitives", "CairnLedger"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnMarket",
            dependencies: ["CairnPrimitives", "CairnLedger"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnExchange",
            dependencies: ["CairnPrimitives", "CairnLedger"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnVerification",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnMarket"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnTraining",
            dependencies: ["CairnPrimitives", "CairnLedger", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(
            name: "CairnTrainer",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnTraining", "CairnClient", "CairnInference",
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(
            name: "CairnConsensus",
            dependencies: ["CairnPrimitives", "CairnLedger"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnP2P",
            dependencies: [
                "CairnPrimitives",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CairnApp",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnBank", "CairnStaking", "CairnGovernance", "CairnModels", "CairnMarket", "CairnExchange",
                           "CairnVerification", "CairnTraining"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnSim",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnBank", "CairnStaking", "CairnGovernance", "CairnModels", "CairnMarket",
                           "CairnExchange", "CairnApp"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnChain",
            dependencies: ["CairnPrimitives", "CairnStorage", "CairnLedger", "CairnConsensus"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnNode",
            dependencies: [
                "CairnPrimitives", "CairnStorage", "CairnLedger", "CairnBank", "CairnStaking", "CairnGovernance", "CairnModels", "CairnMarket", "CairnExchange",
                "CairnVerification", "CairnTraining", "CairnConsensus", "CairnChain", "CairnApp", "CairnP2P",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CairnVerifier",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnMarket", "CairnModels", "CairnVerification", "CairnClient", "CairnInference",
                           "CairnProvider", "CairnGateway"],
            swiftSettings: strict
        ),
        .target(
            name: "CairnExplorer",
            dependencies: [
                "CairnPrimitives", "CairnStorage", "CairnLedger", "CairnBank", "CairnStaking", "CairnGovernance", "CairnModels", "CairnMarket", "CairnExchange",
                "CairnVerification", "CairnTraining", "CairnChain", "CairnApp", "CairnNode",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CairnWire",
            dependencies: [.product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: strict
        ),
        .target(
            name: "CairnClient",
            dependencies: [
                "CairnPrimitives", "CairnLedger", "CairnBank", "CairnModels", "CairnMarket", "CairnWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CairnProvider",
            dependencies: [
                "CairnPrimitives", "CairnLedger", "CairnStaking", "CairnMarket", "CairnModels", "CairnClient", "CairnWire", "CairnInference", "CairnTraining", "CairnTrainer",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CairnGateway",
            dependencies: [
                "CairnPrimitives", "CairnLedger", "CairnMarket", "CairnModels", "CairnVerification", "CairnClient", "CairnWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "CairnInference",
            dependencies: ["COpenBLAS"] + vnniDependencies,
            swiftSettings: kernels
        ),
        .executableTarget(
            name: "cairn",
            dependencies: [
                "CairnP2P", "CairnPrimitives", "CairnStorage", "CairnLedger", "CairnBank", "CairnStaking", "CairnGovernance", "CairnModels", "CairnMarket", "CairnExchange", "CairnConsensus",
                "CairnVerification", "CairnTraining", "CairnChain", "CairnApp", "CairnNode", "CairnExplorer", "CairnClient", "CairnWire", "CairnInference",
                "CairnProvider", "CairnGateway", "CairnVerifier", "CairnTrainer", "CairnTestSupport", "CairnSim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CairnTestSupport",
            dependencies: [
                "CairnPrimitives", "CairnStorage", "CairnLedger", "CairnBank", "CairnStaking", "CairnGovernance", "CairnMarket", "CairnModels",
                "CairnConsensus", "CairnChain", "CairnApp",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnPrimitivesTests",
            dependencies: ["CairnPrimitives", "CairnTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnLedgerTests",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnBank", "CairnStaking", "CairnGovernance", "CairnMarket", "CairnModels",
                           "CairnStorage", "CairnChain", "CairnTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnStakingTests",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnBank", "CairnStaking", "CairnApp", "CairnTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnMarketTests",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnBank", "CairnStaking", "CairnMarket", "CairnApp", "CairnTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnVerificationTests",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnBank", "CairnStaking", "CairnMarket", "CairnVerification", "CairnApp",
                           "CairnTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnTrainingTests",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnBank", "CairnModels", "CairnTraining", "CairnApp", "CairnTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnTrainerTests",
            dependencies: ["CairnTrainer", "CairnTraining", "CairnPrimitives", "CairnLedger"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnExchangeTests",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnBank", "CairnExchange", "CairnApp", "CairnTestSupport",
                           .product(name: "BigInt", package: "BigInt")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnSimTests",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnStaking", "CairnSim"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnGovernanceTests",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnBank", "CairnGovernance", "CairnTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnModelsTests",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnBank", "CairnModels", "CairnApp", "CairnTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnStorageTests",
            dependencies: ["CairnPrimitives", "CairnStorage", "CairnTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnNodeTests",
            dependencies: [
                "CairnPrimitives", "CairnNode", "CairnChain", "CairnApp", "CairnExplorer", "CairnConsensus", "CairnClient", "CairnLedger", "CairnP2P",
                "CairnBank", "CairnStaking", "CairnGovernance", "CairnModels", "CairnMarket", "CairnExchange", "CairnStorage", "CairnTestSupport",
                "CairnInference", "CairnVerification", "CairnVerifier",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnProviderTests",
            dependencies: [
                "CairnPrimitives", "CairnLedger", "CairnStaking", "CairnMarket", "CairnModels", "CairnClient", "CairnWire", "CairnInference",
                "CairnProvider", "CairnTrainer", "CairnTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnGatewayTests",
            dependencies: ["CairnPrimitives", "CairnMarket", "CairnClient", "CairnWire", "CairnGateway", "CairnTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnClientTests",
            dependencies: ["CairnPrimitives", "CairnClient", "CairnMarket", "CairnWire", "CairnTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnP2PTests",
            dependencies: ["CairnP2P", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnConsensusTests",
            dependencies: ["CairnPrimitives", "CairnLedger", "CairnConsensus", "CairnTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CairnInferenceTests",
            dependencies: ["CairnInference", "CairnTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
    ] + vnniTargets,
    swiftLanguageModes: [.v6]
)
