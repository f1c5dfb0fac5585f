import Testing

@testable import CairnInference

struct ChatFixture: Decodable {
    struct Case: Decodable {
        let messages: [ChatMessage]
        let addGenerationPrompt: Bool
        let rendered: String
    }
    let template: String
    let cases: [Case]
}

@Suite("ChatML template as SmolLM2's Jinja renders it")
struct ChatTemplateTests {
    let fixture: ChatFixture
    init() throws { fixture = try ReferenceFixtures.load("chat_template") }

    @Test func recognisesTheModelTemplateAndItsDefaultSystemPrompt() throws {
        let template = try ChatTemplate(jinja: fixture.template)
        #expect(template.defaultSystemPrompt == ChatTemplate.smolLM2SystemPrompt)
        #expect(template == .smolLM2)
    }

    @Test func renderingMatchesJinjaForEveryConversation() throws {
        let template = try ChatTemplate(jinja: fixture.template)
        #expect(fixture.cases.count >= 6)
        for item in fixture.cases {
            let rendered = template.render(item.messages, addGenerationPrompt: item.addGenerationPrompt)
            #expect(rendered == item.rendered, "messages \(item.messages.map(\.role))")
        }
    }

    @Test func templateInTheGGUFFileIsTheFixtureTemplate() throws {
        let file = try GGUFFile(path: ReferenceModels.smolLM2())
        #expect(file.chatTemplate == fixture.template)
    }

    @Test func renderedChatTokenizesWithSingleControlTokens() throws {
        let tokenizer = try ReferenceModels.smolLM2Tokenizer.get()
        let ids = tokenizer.encode(ChatTemplate.smolLM2.render([.user("Hi")]))
        #expect(ids.filter { $0 == 1 }.count == 3)  // <|im_start|> system, user, assistant
        #expect(ids.filter { $0 == 2 }.count == 2)  // <|im_end|> after system and user
    }

    @Test func otherTemplatesAreRejected() {
        let llama3 = "{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>{% endfor %}"
        let error = #expect(throws: InferenceError.self) { try ChatTemplate(jinja: llama3) }
        #expect(error?.code == .unsupported)
    }

    @Test func templateWithoutDefaultSystemPromptAddsNone() {
        let template = ChatTemplate(defaultSystemPrompt: nil)
        #expect(template.render([.user("x")], addGenerationPrompt: false) == "<|im_start|>user\nx<|im_end|>\n")
    }
}
