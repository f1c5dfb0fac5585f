import ArgumentParser
import CairnInference
import Foundation

/// `cairn bench verification`: the check's flag rates on honest jobs, its catch rates on cheats, and its cost.
struct BenchVerificationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verification",
        abstract: "Flag rates of the inference check on honest SmolLM2 jobs (this engine on one thread and on all), catch rates of the cheats in one job, and the check's cost against serving.")

    @Option(help: "Folder holding the models (default: $CAIRN_MODELS or ./.models).") var models: String?
    @Option(help: "Jobs (each checked honest twice and cheated five ways).") var jobs = 60
    @Option(help: "Tokens per answer (max_tokens).") var tokens = 32
    @Flag(help: "Print the report as one JSON object.") var json = false

    func run() async throws {
        guard jobs > 0, tokens > 0, tokens <= 512 else { throw ValidationError("--jobs must be positive and --tokens 1 to 512") }
        let path = try ModelLocator(directory: models).path(for: "smollm2")
        let report = try VerificationBenchmark.run(path: path, jobs: jobs, tokens: tokens) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
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
        print("cheats caught in one job:")
        for r in report.cheats { print("  \(r.kind): \(r.flagged) of \(r.jobs) (\(String(format: "%.1f", 100 * r.rate))%)") }
        print(String(format: "serving a job %.3f s, checking it %.3f s: a check costs %.1f%% of serving; at a 5%% check rate, %.2f%% of compute goes to checks",
                     report.serveSeconds, report.checkSeconds, 100 * report.checkCost, 100 * report.computeAtFivePercent))
    }
}
