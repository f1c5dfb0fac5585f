import Foundation
import Testing

/// `cairn sim` as users run it: the built binary writes its three files, and refuses bad input with a message.
@Suite struct SimCommandTests {
    /// The `cairn` executable built beside this test bundle (or `CAIRN_EXECUTABLE`).
    static func executable() throws -> URL {
        if let override = ProcessInfo.processInfo.environment["CAIRN_EXECUTABLE"] { return URL(fileURLWithPath: override) }
        var folders = [URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()]
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" { folders.append(bundle.bundleURL.deletingLastPathComponent()) }
        folders.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for folder in folders where FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("cairn").path) {
            return folder.appendingPathComponent("cairn")
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "no cairn executable beside the tests (looked in \(folders.map(\.path)))"])
    }

    /// Runs `cairn arguments...` to the end (stopped after 600 s); returns its exit status and output.
    ///
    /// The test awaits the child's exit instead of polling it: a test that blocked a thread of Swift's cooperative
    /// pool for the minutes a simulation takes would stall every other test's awaits on a two-core machine.
    static func cairn(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        // Each child with Swift's own random hash seed, as users run it: output that hung on hash order would differ.
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_DETERMINISTIC_HASHING"] = nil
        process.environment = environment
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-sim-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        let child = Child(process)
        let watchdog = Task {
            try await Task.sleep(for: .seconds(600))
            child.stop()
        }
        defer { watchdog.cancel() }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: log)
        return (status, output)
    }

    /// A child process the watchdog may stop from another task.
    final class Child: @unchecked Sendable {
        private let process: Process
        init(_ process: Process) { self.process = process }
        func stop() { if process.isRunning { process.terminate() } }
    }

    @Test func simWritesDailyCSVSummaryAndReport() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-sim-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A whole year of hourly blocks in a debug build takes a while; CAIRN_SIM_TEST_YEARS shortens it.
        let years = ProcessInfo.processInfo.environment["CAIRN_SIM_TEST_YEARS"] ?? "1"
        let result = try await Self.cairn(["sim", "--scenario", "baseline", "--years", years, "--out", dir.path])
        #expect(result.status == 0, "\(result.output)")
        let csv = try String(contentsOf: dir.appendingPathComponent("daily.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.first?.hasPrefix("run,day,supply_cairn") == true)
        #expect(lines.count == 1 + Int((Double(years)! * 365.25).rounded()))
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("summary.json"))) as? [String: Any])
        #expect(summary["allChecksOK"] as? Bool == true)
        #expect((summary["runs"] as? [Any])?.count == 1)
        let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("</html>"))
    }

    @Test func twoProcessesWithTheSameSeedWriteTheSameBytes() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-sim-det-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        for run in ["a", "b"] {
            let result = try await Self.cairn(["sim", "--scenario", "royalty-zipf", "--years", "0.05", "--seed", "42", "--no-determinism-check",
                                         "--out", base.appendingPathComponent(run).path])
            #expect(result.status == 0, "\(result.output)")
        }
        for file in ["daily.csv", "summary.json", "report.html"] {
            let a = try Data(contentsOf: base.appendingPathComponent("a/\(file)"))
            let b = try Data(contentsOf: base.appendingPathComponent("b/\(file)"))
            #expect(a == b, "\(file) differs between two runs of seed 42")
        }
    }

    @Test(arguments: [
        (["sim", "--scenario", "moon"], "unknown scenario"),
        (["sim", "--scenario", "baseline", "--sweep", "protocolFeeBps"], "PARAM=V1,V2"),
        (["sim", "--scenario", "baseline", "--sweep", "warp=1,2"], "unknown parameter"),
        (["sim", "--scenario", "baseline", "--block-interval", "7"], "must divide a day"),
    ])
    func badInputGetsAClearError(_ arguments: [String], _ message: String) async throws {
        let result = try await Self.cairn(arguments + ["--out", FileManager.default.temporaryDirectory.appendingPathComponent("cairn-sim-never").path])
        #expect(result.status != 0)
        #expect(result.output.contains(message), "\(result.output)")
    }
}
