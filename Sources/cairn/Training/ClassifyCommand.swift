import ArgumentParser
import CairnWire
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `cairn classify --model NAME TEXT...`: labels texts with a trained head through a gateway, paid per token like
/// embeddings, the head's royalty going to its data owners.
struct ClassifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify", abstract: "Label texts with a model a training job registered, through a gateway (POST /v1/cairn/classify).")

    @Option(help: "The trained model's name (train-job-ID) or id as the gateway lists it.") var model: String
    @Option(help: "The gateway's URL.") var gateway: String = ProcessInfo.processInfo.environment["CAIRN_GATEWAY"] ?? "http://127.0.0.1:8080"
    @Option(help: "An API key of the gateway, if it asks for one.") var apiKey: String?
    @Flag(help: "Print the gateway's JSON answer.") var json = false
    @Argument(help: "The texts to label.") var texts: [String] = []

    func validate() throws {
        guard !texts.isEmpty else { throw ValidationError("give at least one TEXT to classify") }
    }

    func run() async throws {
        try await reportingFailure {
            guard let url = URL(string: gateway.hasSuffix("/") ? gateway + "v1/cairn/classify" : gateway + "/v1/cairn/classify") else {
                throw CLIError("--gateway \(gateway) is not a URL")
            }
            var request = URLRequest(url: url, timeoutInterval: 120)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
            request.httpBody = try JSONEncoder().encode(ClassifyRequest(model: model, input: texts))
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 200 else {
                let message = (try? JSONDecoder().decode(OpenAIErrorBody.self, from: data))?.error.message ?? String(decoding: data.prefix(500), as: UTF8.self)
                throw CLIError("the gateway answered \(status): \(message)")
            }
            if json {
                FileHandle.standardOutput.write(data + Data("\n".utf8))
                return
            }
            let body = try JSONDecoder().decode(ClassifyBody.self, from: data)
            for item in body.data {
                let p = item.probabilities.first { $0.label == item.label }?.probability ?? 0
                print("\(item.label)\t\(String(format: "%.3f", p))\t\(texts[item.index])")
            }
            if let cost = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "X-Cairn-Cost") {
                print("\(body.usage.totalTokens) tokens, \(cost) ucairn")
            }
        }
    }
}
