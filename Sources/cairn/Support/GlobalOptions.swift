import ArgumentParser
import Foundation
import CairnPrimitives
import Logging

/// Flags every command that talks to a node or a home folder takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Node API URL.")
    var node: String = ProcessInfo.processInfo.environment["CAIRN_NODE"] ?? "http://127.0.0.1:26657"

    @Option(name: .long, help: "Home folder (keys, node data).")
    var home: String = ProcessInfo.processInfo.environment["CAIRN_HOME"] ?? "./.cairn-devnet"

    @Flag(name: .long, help: "Machine-readable JSON output.")
    var json = false
}

/// A one-line failure: printed to stderr as `error: ...`, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Runs `body`, turning any error into a one-line message and exit status 1.
func reportingFailure(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        if let e = error as? ExitCode, type(of: error) == ExitCode.self { throw e }
        let line = "\(error)".split(separator: "\n").joined(separator: " ")
        FileHandle.standardError.write(Data("error: \(line)\n".utf8))
        throw ExitCode(1)
    }
}

/// Prints `value` as JSON.
func printJSON(_ value: some Encodable) throws {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try e.encode(value), as: UTF8.self))
}

/// Reads a passphrase from `CAIRN_PASSPHRASE` or, failing that, from the terminal without echo.
func readPassphrase(_ prompt: String) throws -> String {
    if let p = ProcessInfo.processInfo.environment["CAIRN_PASSPHRASE"] { return p }
    guard let raw = getpass(prompt) else { throw CLIError("no passphrase given (set CAIRN_PASSPHRASE or run in a terminal)") }
    return String(cString: raw)
}

/// A logger at the level `CAIRN_LOG` names (trace, debug, info, notice, warning, error, critical), notice by default.
func cairnLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["CAIRN_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
    return logger
}

/// `--listen HOST:PORT`.
func parseListen(_ listen: String) throws -> (host: String, port: Int) {
    guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port),
          colon != listen.startIndex else {
        throw CLIError("--listen must be HOST:PORT, got '\(listen)'")
    }
    return (String(listen[..<colon]), port)
}

/// `--probe-interval SECONDS`: 0 (no probes) or more.
func checkProbeInterval(_ seconds: Int) throws -> Int {
    guard seconds >= 0 else { throw CLIError("--probe-interval must be 0 (off) or a number of seconds, not \(seconds)") }
    return seconds
}

/// An amount of the native denomination given as a coin (`10cairn`, `500ucairn`), or an error naming `flag`.
func nativeAmount(_ text: String, _ flag: String) throws -> Amount {
    let coin: Coin
    do { coin = try Coin(parsing: text) } catch { throw CLIError("\(flag): \(error)") }
    guard coin.denom == Denom.native else { throw CLIError("\(flag) is in \(Denom.native) (or cairn), not \(coin.denom)") }
    return coin.amount
}
