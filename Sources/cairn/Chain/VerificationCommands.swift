import ArgumentParser
import CairnClient
import CairnPrimitives
import CairnLedger
import CairnMarket
import CairnVerification
import Foundation

/// `cairn tx verification ...`
struct VerificationTx: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verification", abstract: "Bond as a verifier, challenge a provider's receipt, vote on a challenge's committee.",
        subcommands: [Register.self, Leave.self, Challenge.self, ChallengePooled.self, Evidence.self, Commit.self, Reveal.self, Report.self])

    /// A receipt as the provider sent it (the `X-Cairn-Receipt` header's base64 value), given as is or as `@FILE`.
    static func receipt(_ text: String) throws -> SignedReceipt {
        var value = text
        if text.hasPrefix("@") {
            do { value = try String(contentsOfFile: String(text.dropFirst()), encoding: .utf8) } catch {
                throw CLIError("cannot read the receipt file \(text.dropFirst()): \(error.localizedDescription)")
            }
        }
        guard let receipt = SignedReceipt(headerValue: value.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CLIError("--receipt is not a receipt (the base64 value of an X-Cairn-Receipt header)")
        }
        return receipt
    }

    static func verdict(_ text: String) throws -> Verdict {
        guard let v = Verdict(name: text) else { throw CLIError("the verdict is 'cheated' or 'honest', not '\(text.prefix(40))'") }
        return v
    }

    static func salt(key: PrivateKey, challenge: UInt64) -> [UInt8] { Verdict.salt(keySeed: key.seed, challenge: challenge) }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Become a verifier, or add to your bond (committees are drawn by bond).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(help: "The bond to add, e.g. 100cairn.") var bond: String
        func run() async throws {
            try await reportingFailure { try await tx.send([MsgRegisterVerifier(bond: try nativeAmount(bond, "--bond"))], global: global) }
        }
    }

    struct Leave: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop verifying and take the bond back (not while on an undecided committee).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        func run() async throws { try await reportingFailure { try await tx.send([MsgLeaveVerifier()], global: global) } }
    }

    struct Challenge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Challenge a provider-signed receipt whose job failed a check.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(help: "The receipt: the X-Cairn-Receipt header's base64 value, or @FILE holding it.") var receipt: String
        @Option(help: "A file with the request body exactly as sent to the provider (it must hash to the receipt's requestHash).") var request: String
        @Option(help: "A file with the output text the provider returned (it must hash to the receipt's outputHash).") var output: String
        @Option(help: "The bond, e.g. 10cairn (at least the chain's challengeBond).") var bond: String = "10cairn"
        func run() async throws {
            try await reportingFailure {
                func bytes(_ path: String, _ what: String) throws -> [UInt8] {
                    do { return Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                        throw CLIError("cannot read the \(what) file \(path): \(error.localizedDescription)")
                    }
                }
                let signed = try VerificationTx.receipt(receipt)
                let body = try bytes(request, "request"), text = try bytes(output, "output")
                guard Hash.sha256(body) == signed.receipt.requestHash else { throw CLIError("--request does not hash to the receipt's requestHash") }
                guard Hash.sha256(text) == signed.receipt.outputHash else { throw CLIError("--output does not hash to the receipt's outputHash") }
                try await tx.send([MsgChallenge(receipt: signed, request: body, output: text, bond: try nativeAmount(bond, "--bond"))],
                                  global: global)
            }
        }
    }

    struct ChallengePooled: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "challenge-pooled",
            abstract: "Challenge a provider on a window of its jobs the chain draws before the receipt's; then give them with `evidence`.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(help: "The provider's latest receipt on the channel (the window ends at or before its job): the X-Cairn-Receipt header's base64 value, or @FILE.")
        var receipt: String
        @Option(help: "The bond, e.g. 10cairn (at least the chain's challengeBond; burned if the window is not given in time).") var bond: String = "10cairn"
        func run() async throws {
            try await reportingFailure {
                try await tx.send([MsgPooledChallenge(receipt: try VerificationTx.receipt(receipt), bond: try nativeAmount(bond, "--bond"))],
                                  global: global)
            }
        }
    }

    struct Evidence: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give jobs of a pooled challenge's drawn window: a JSON Lines file of {receipt, request, output} (the receipt's header value, the request body and the output text).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Challenge id.") var challenge: UInt64
        @Option(help: "The JSON Lines file of jobs.") var jobs: String
        func run() async throws {
            try await reportingFailure {
                struct Line: Decodable { let receipt: String; let request: String; let output: String }
                let text: String
                do { text = try String(contentsOfFile: jobs, encoding: .utf8) } catch {
                    throw CLIError("cannot read the jobs file \(jobs): \(error.localizedDescription)")
                }
                var given: [PooledJob] = []
                for (i, raw) in text.split(separator: "\n").enumerated() where !raw.trimmingCharacters(in: .whitespaces).isEmpty {
                    let line: Line
                    do { line = try JSONDecoder().decode(Line.self, from: Data(raw.utf8)) } catch {
                        throw CLIError("line \(i + 1) of \(jobs) is not {receipt, request, output}: \(error)")
                    }
                    let job = PooledJob(receipt: try VerificationTx.receipt(line.receipt), request: Array(line.request.utf8), output: Array(line.output.utf8))
                    guard Hash.sha256(job.request) == job.receipt.receipt.requestHash, Hash.sha256(job.output) == job.receipt.receipt.outputHash else {
                        throw CLIError("line \(i + 1) of \(jobs): the request or output does not hash to its receipt")
                    }
                    given.append(job)
                }
                guard !given.isEmpty else { throw CLIError("\(jobs) holds no jobs") }
                try await tx.send([MsgPooledEvidence(challengeID: challenge, jobs: given)], global: global)
            }
        }
    }

    struct Commit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Commit to a verdict on a challenge whose committee you sit on.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Challenge id.") var challenge: UInt64
        @Argument(help: "cheated or honest.") var verdict: String
        func run() async throws {
            try await reportingFailure {
                let key = try signingKey(tx.from, home: global.home)
                let commitment = Verdict.commitment(challenge: challenge, member: key.publicKey.address, verdict: try VerificationTx.verdict(verdict),
                                                    salt: VerificationTx.salt(key: key, challenge: challenge))
                try await tx.send([MsgCommitVerdict(challengeID: challenge, commitment: commitment)], global: global)
            }
        }
    }

    struct Reveal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reveal the verdict you committed to (same key, same verdict).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Argument(help: "Challenge id.") var challenge: UInt64
        @Argument(help: "cheated or honest.") var verdict: String
        func run() async throws {
            try await reportingFailure {
                let key = try signingKey(tx.from, home: global.home)
                try await tx.send([MsgRevealVerdict(challengeID: challenge, verdict: try VerificationTx.verdict(verdict),
                                                    salt: VerificationTx.salt(key: key, challenge: challenge))], global: global)
            }
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Report a check of a provider's receipt (verifiers only; once per receipt).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tx: TxOptions
        @Option(help: "The receipt: the X-Cairn-Receipt header's base64 value, or @FILE holding it.") var receipt: String
        @Flag(help: "The check failed (it passed otherwise).") var failed = false
        func run() async throws {
            try await reportingFailure { try await tx.send([MsgReportCheck(receipt: try VerificationTx.receipt(receipt), passed: !failed)], global: global) }
        }
    }
}

/// `cairn query verification ...`
struct VerificationQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verification", abstract: "Challenges, verifiers and providers' reputations.",
                                                    subcommands: [Challenges.self, ChallengeDetail.self, Verifiers.self, Provider.self, Providers.self])

    struct Challenges: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every challenge (or those with --status).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "gathering, drawing, committing, revealing, upheld, rejected, void or lapsed.") var status: String?
        func run() async throws {
            try await reportingFailure {
                let query = status.map { "?status=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" } ?? ""
                try printJSON(try await NodeClient(url: global.node).get("/v1/verification/challenges" + query))
            }
        }
    }

    struct ChallengeDetail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "challenge", abstract: "One challenge: receipt, committee, votes, verdict.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Challenge id.") var id: UInt64
        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/verification/challenges/\(id)")) }
        }
    }

    struct Verifiers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every verifier with its bond.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/verification/verifiers")) }
        }
    }

    struct Provider: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A provider's reputation: checks passed and failed, challenges decided and pending.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The provider's address.") var address: String
        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/verification/providers/\(address)")) }
        }
    }

    struct Providers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The reputation of every provider checked so far.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await reportingFailure { try printJSON(try await NodeClient(url: global.node).get("/v1/verification/providers")) }
        }
    }
}
