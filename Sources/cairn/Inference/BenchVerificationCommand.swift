import ArgumentParser
import CairnInference
import Foundation

/// `cairn bench verification`: the check's flag rates on honest jobs, its catch rates on cheats, and its cost.
struct BenchVerificationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verification",
        abstract: "Flag rates of the inference check on honest SmolLM2 jobs (this engine on one thread and on all, or another server's answers), catch rates of the cheats in one job and pooled over a provider's jobs, and the check's cost against serving.")

    @Option(help: "Folder holding the models (default: $CAIRN_MODELS or ./.models).") var models: String?
    @Option(help: "Jobs (each checked honest twice and cheated five ways).") var jobs = 60
    @Option(help: "Tokens per answer (max_tokens).") var tokens = 32
    @Option(help: "Check another server's answers instead: a JSON Lines file of {prompt, temperature, output, finish_reason, completion_tokens, max_tokens} (scripts/verify-reference.sh writes one).") var answers: String?
    @Option(help: "The server that wrote --answers, for the report.") var source = "external"
    @Option(help: "Embeddings checked (MiniLM; each honest and cheated four ways); 0 skips them.") var embeddingInputs = 200
    @Flag(help: "Print the jobs (JSON Lines of prompt, temperature, seed and max_tokens) for another server to answer, and stop.") var listJobs = false
    @Flag(help: "Print the report as one JSON object.") var json = false

    func run() async throws {
        guard jobs > 0, tokens > 0, tokens <= 512 else { throw ValidationError("--jobs must be positive and --tokens 1 to 512") }
        if listJobs {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            for i in 0..<jobs {
                let job = VerificationBenchmark.job(i)
                let line = ListedJob(prompt: job.prompt, temperature: job.temperature, seed: UInt64(i + 1), maxTokens: tokens)
                print(String(decoding: try e.encode(line), as: UTF8.self))
            }
            return
        }
        let path = try ModelLocator(directory: models).path(for: "smollm2")
        let progress: (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let report: VerificationBenchmark.Report
        if let answers {
            let decoder = JSONDecoder()
            let lines = try String(contentsOfFile: answers, encoding: .utf8).split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            let parsed = try lines.enumerated().map { i, line in
                do { return try decoder.decode(VerificationBenchmark.Answer.self, from: Data(line.utf8)) } catch {
                    throw ValidationError("\(answers) line \(i + 1) is not an answer: \(error)")
                }
            }
            guard !parsed.isEmpty else { throw ValidationError("\(answers) holds no answers") }
            report = try VerificationBenchmark.check(path: path, answers: parsed, source: source, progress: progress)
        } else {
            var measured = try VerificationBenchmark.run(path: path, jobs: jobs, tokens: tokens, progress: progress)
            if embeddingInputs > 0 {
                let minilm = try ModelLocator(directory: models).path(for: "minilm")
                (measured.embeddings, measured.embeddingCosines) = try VerificationBenchmark.embeddings(directory: minilm, inputs: embeddingInputs)
            }
            report = measured
        }
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            print(String(decoding: try e.encode(report), as: UTF8.self))
            return
        }
        print("SmolLM2, \(report.jobs) jobs of up to \(report.tokens) tokens (chat prompts in turn, temperatures 0, 0.7 and 1.0 in turn)")
        print("honest jobs flagged:")
        for r in report.honest { print("  \(r.kind): \(r.flagged) of \(r.jobs) (\(String(format: "%.2f", 100 * r.rate))%)") }
        if !report.cheats.isEmpty {
            print("cheats caught in one job:")
            for r in report.cheats { print("  \(r.kind): \(r.flagged) of \(r.jobs) (\(String(format: "%.1f", 100 * r.rate))%)") }
        }
        print("providers flagged within their first jobs (one job's verdict or the pooled evidence):")
        for r in report.pooled {
            let mean = r.meanJobsToFlag.map { String(format: ", after %.1f jobs on average", $0) } ?? ""
            print("  \(r.kind): \(r.flagged) of \(r.providers) within \(r.jobsEach) jobs\(mean)")
        }
        if !report.diluted.isEmpty {
            print("providers cheating on a share of their jobs only, flagged within 20 jobs:")
            for r in report.diluted {
                let mean = r.meanJobsToFlag.map { String(format: ", after %.1f jobs on average", $0) } ?? ""
                print("  \(r.kind): \(r.flagged) of \(r.providers)\(mean)")
            }
        }
        print("relevance of sampled chat answers (nats; minimum, 1st percentile, median, maximum):")
        for r in report.relevance {
            print("  \(r.kind): " + String(format: "%.1f, %.1f, %.1f, %.1f", r.minimum, r.percentile1, r.median, r.maximum))
        }
        if !report.embeddings.isEmpty {
            print("embeddings (MiniLM, one input per job, cosine to the verifier's vector at least 0.999):")
            for (r, c) in zip(report.embeddings, report.embeddingCosines) {
                print("  \(r.kind): \(r.flagged) of \(r.jobs) flagged; cosine " + String(format: "%.7f to %.7f (median %.7f)", c.minimum, c.maximum, c.median))
            }
        }
        if report.serveSeconds > 0 {
            print(String(format: "serving a job %.3f s, checking it %.3f s: a check costs %.1f%% of serving; at a 5%% check rate, %.2f%% of compute goes to checks",
                         report.serveSeconds, report.checkSeconds, 100 * report.checkCost, 100 * report.computeAtFivePercent))
            print(String(format: "of which the relevance pass %.3f s: without it a check costs %.1f%% of serving",
                         report.relevanceSeconds, 100 * report.checkCostWithoutRelevance))
        } else {
            print(String(format: "checking an answer took %.3f s", report.checkSeconds))
        }
    }
}

/// One line of `--list-jobs`.
private struct ListedJob: Encodable {
    var prompt: String
    var temperature: Float
    var seed: UInt64
    var maxTokens: Int

    enum CodingKeys: String, CodingKey {
        case prompt, temperature, seed
        case maxTokens = "max_tokens"
    }
}
