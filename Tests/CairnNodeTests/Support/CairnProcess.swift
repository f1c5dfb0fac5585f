import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CairnClient

/// The built `cairn` executable run as a child process, its output kept in a log file.
final class CairnProcess: @unchecked Sendable {
    let process: Process
    let log: URL

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The `cairn` executable built beside this test bundle (`<scratch>/debug/cairn`).
    static func executable() throws -> URL {
        if let override = ProcessInfo.processInfo.environment["CAIRN_EXECUTABLE"] {
            return URL(fileURLWithPath: override)
        }
        var folders = [URL]()
        folders.append(URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent())
        if let exe = Bundle.main.executableURL { folders.append(exe.resolvingSymlinksInPath().deletingLastPathComponent()) }
        folders.append(Bundle.main.bundleURL)
        folders.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        for folder in folders {
            let candidate = folder.appendingPathComponent("cairn")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw Failure(description: "the cairn executable is not beside the test bundle (looked in \(folders.map(\.path))); "
            + "build it with `swift build --build-tests` or set CAIRN_EXECUTABLE")
    }

    /// Starts `cairn arguments...`, its stdout and stderr appended to `log`, with `extraEnvironment` added to this
    /// process's environment.
    init(_ arguments: [String], log: URL, extraEnvironment: [String: String] = [:]) throws {
        self.log = log
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process = Process()
        process.executableURL = try CairnProcess.executable()
        process.arguments = arguments
        // Children run as users run them, each with Swift's own random hash seed (the test runner fixes it
        // for build caching), so state that depended on hash order would fail the replay checks.
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_DETERMINISTIC_HASHING"] = nil
        environment.merge(extraEnvironment) { _, extra in extra }
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try handle.close()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits for the process to end; returns its exit status.
    @discardableResult
    func stop(_ signal: Int32, timeout: Duration = .seconds(10)) async throws -> Int32 {
        kill(pid, signal)
        return try await waitForExit(timeout: timeout)
    }

    func waitForExit(timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(pid, SIGKILL)
                throw Failure(description: "cairn (pid \(pid)) did not exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// Runs `cairn arguments...` to completion; returns its exit status and output.
    static func run(_ arguments: [String], log: URL, timeout: Duration = .seconds(120)) async throws -> (status: Int32, output: String) {
        try? FileManager.default.removeItem(at: log)
        let p = try CairnProcess(arguments, log: log)
        let status = try await p.waitForExit(timeout: timeout)
        return (status, p.output)
    }
}
