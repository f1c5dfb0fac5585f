import Testing
import Foundation
import CairnTestSupport

/// `cairn verify` as a user runs it: an output of `cairn run` passes for its own prompt and fails, with exit status 2
/// and a reason, for another prompt or a temperature it was not sampled at. The output is 64 tokens long: greedy text
/// claimed as sampled at 1.0 is judged by how often it emits the top token, and where the provider's int8 decode and
/// the verifier's float32 pass disagree on near-ties (3 of 24 tokens on a Zen 3), 24 tokens left that evidence below
/// the threshold.
@Suite struct VerifyCommandTests {
    @Test func anOutputOfCairnRunPassesForItsPromptAndFailsForAnother() async throws {
        let dir = try TemporaryDirectory()
        let prompt = "The three primary colors are"
        let run = try await CairnProcess.run(["run", "--max-tokens", "64", prompt], log: dir.url.appendingPathComponent("run.log"))
        #expect(run.status == 0, "\(run.output)")
        // The continuation is what `run` wrote to standard output (its log holds nothing else).
        let output = String(run.output.dropLast(run.output.hasSuffix("\n") ? 1 : 0))
        #expect(!output.isEmpty)

        func verify(_ extra: [String], _ name: String) async throws -> (Int32, [String: Any]) {
            let r = try await CairnProcess.run(["verify", "--output", output, "--json"] + extra, log: dir.url.appendingPathComponent("\(name).log"))
            let line = r.output.split(separator: "\n").last.map(String.init) ?? ""
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
            return (r.status, object)
        }
        let (okStatus, ok) = try await verify(["--prompt", prompt], "honest")
        #expect(okStatus == 0 && ok["verdict"] as? String == "pass", "\(ok)")
        #expect((ok["tokens"] as? Int ?? 0) > 10 && ok["mismatches"] as? Int == 0 && ok["reason"] is String)
        let (otherStatus, other) = try await verify(["--prompt", "The capital of France is"], "replayed")
        #expect(otherStatus == 2 && other["verdict"] as? String == "fail" && (other["mismatches"] as? Int ?? 0) > 0, "\(other)")
        let (hotStatus, hot) = try await verify(["--prompt", prompt, "--temperature", "1.0"], "posing")
        #expect(hotStatus == 2 && (hot["reason"] as? String ?? "").contains("top token"), "\(hot)")
        let bad = try await CairnProcess.run(["verify", "--prompt", prompt, "--output", output, "--top-p", "0"],
                                             log: dir.url.appendingPathComponent("bad.log"))
        #expect(bad.status == 1 && bad.output.contains("--top-p"), "\(bad.output)")
    }

    @Test func anEmbeddingOfCairnEmbedPassesForItsTextAndFailsForAnother() async throws {
        let dir = try TemporaryDirectory()
        let text = "A cat sleeps on the warm windowsill."
        let embedded = try await CairnProcess.run(["embed", text], log: dir.url.appendingPathComponent("embed.log"))
        #expect(embedded.status == 0, "\(embedded.output)")
        let vector = embedded.output.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        #expect(vector.count == 384)
        let file = dir.url.appendingPathComponent("vector.json")
        try JSONSerialization.data(withJSONObject: vector).write(to: file)
        func verify(_ prompt: String, _ name: String, file: URL) async throws -> (Int32, [String: Any]) {
            let r = try await CairnProcess.run(["verify", "--model", "minilm", "--prompt", prompt, "--embedding", file.path, "--json"],
                                               log: dir.url.appendingPathComponent("\(name).log"))
            let line = r.output.split(separator: "\n").last.map(String.init) ?? ""
            return (r.status, (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:])
        }
        let (okStatus, ok) = try await verify(text, "honest", file: file)
        #expect(okStatus == 0 && ok["verdict"] as? String == "pass" && (ok["minimumCosine"] as? Double ?? 0) > 0.99999, "\(ok)")
        let (otherStatus, other) = try await verify("The stock market fell sharply today.", "replayed", file: file)
        #expect(otherStatus == 2 && other["verdict"] as? String == "fail" && (other["reason"] as? String ?? "").contains("cosine"), "\(other)")
        let short = dir.url.appendingPathComponent("short.json")
        try JSONSerialization.data(withJSONObject: Array(vector.prefix(100))).write(to: short)
        let (shortStatus, shortVerdict) = try await verify(text, "short", file: short)
        #expect(shortStatus == 2 && (shortVerdict["reason"] as? String ?? "").contains("dimensions"), "\(shortVerdict)")
        let garbage = dir.url.appendingPathComponent("garbage.json")
        try Data("{\"not\": \"a vector\"}".utf8).write(to: garbage)
        let (badStatus, _) = try await verify(text, "garbage", file: garbage)
        #expect(badStatus == 1)
    }
}
