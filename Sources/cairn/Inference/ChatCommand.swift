import ArgumentParser
import CairnInference

/// `cairn chat`: an interactive ChatML conversation on standard input and output.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat", abstract: "Chat with a model interactively (empty line or EOF quits).")

    @OptionGroup var options: GenerationOptions
    @Option(help: "System prompt (default: the model template's own).")
    var system: String?
    @Flag(help: "Print token counts and speed to standard error after each reply.")
    var stats = false

    func run() async throws {
        try await reportingFailure {
            let container = try options.loadContainer()
            let path = try ModelLocator(directory: options.models).path(for: options.model)
            let file = try GGUFFile(path: path)
            let template = try file.chatTemplate.map { try ChatTemplate(jinja: $0) } ?? ChatTemplate.smolLM2
            var parameters = options.parameters(defaultTemperature: 0.7)
            if options.topP == 1 { parameters.topP = 0.9 }
            if options.repeatPenalty == 1 { parameters.repetitionPenalty = 1.1 }
            try parameters.validate()
            var messages: [ChatMessage] = system.map { [.system($0)] } ?? []
            writeOut("Chat with \(options.model). An empty line or end of input quits.\n")
            while true {
                writeOut("> ")
                guard let line = readLine(), !line.isEmpty else { break }
                messages.append(.user(line))
                let prompt = template.render(messages, addGenerationPrompt: true)
                var reply = ""
                for try await event in container.generate(prompt: prompt, parameters: parameters) {
                    switch event {
                    case .token(_, let text), .text(let text):
                        reply += text
                        writeOut(text)
                    case .finished(let summary):
                        writeOut("\n")
                        if stats { reportStats(summary) }
                    case .logprobs:
                        break
                    }
                }
                messages.append(.assistant(reply))
            }
        }
    }
}
