import Foundation
import CairnTestSupport
import Testing

/// Every failure of the CLI is one line on its own, starting `error:`, with a non-zero exit status.
@Suite struct CLIErrorTests {
    static let failures: [[String]] = [
        ["query", "account", "cairn1notanaddress", "--node", "http://127.0.0.1:9"],
        ["query", "account", "cairn1vsd3us9jkmpptm06r80zcgcl808jn8nfnvfwp9", "--node", "http://127.0.0.1:9"],
        ["query", "block", "twelve", "--node", "http://127.0.0.1:9"],
        ["keys", "show", "nobody", "--home", "/nonexistent/cairn-home"],
        ["tx", "send", "--from", "nobody", "--to", "cairn1vsd3us9jkmpptm06r80zcgcl808jn8nfnvfwp9", "--amount", "1.5cairn",
         "--home", "/nonexistent/cairn-home", "--node", "http://127.0.0.1:9"],
        ["node", "start", "--home", "/nonexistent/cairn-home"],
        ["embed", "--models", "/nonexistent/models", "hello"],
        ["run", "--models", "/nonexistent/models", "hello"],
        ["bench", "transfers", "--node", "ftp://127.0.0.1:9", "--home", "/nonexistent/cairn-home", "--from", "dev"],
        ["bench", "transfers", "--node", "http://127.0.0.1:9", "--home", "/nonexistent/cairn-home", "--from", "nobody"],
    ]

    @Test(arguments: failures)
    func aFailureIsOneLine(arguments: [String]) async throws {
        let dir = try TemporaryDirectory()
        let result = try await CairnProcess.run(arguments, log: dir.url.appendingPathComponent("out.log"))
        #expect(result.status != 0)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "\(arguments): \(result.output)")
        #expect(lines.first?.hasPrefix("error: ") == true, "\(arguments): \(result.output)")
    }
}
