import Testing
import CairnInference
import CairnProvider

/// A request body read back the way the provider's server reads it, for the verifier's check.
@Suite struct JobReplayTests {
    @Test func aChatRequestGivesItsMessagesAndSamplingSettings() throws {
        let body = #"{"model": "smollm2", "messages": [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "temperature": 0.7, "top_p": 0.9, "max_completion_tokens": 40}"#
        let r = try JobReplay(requestBody: Array(body.utf8))
        #expect(r.model == "smollm2" && r.temperature == 0.7 && r.topP == 0.9 && r.maxTokens == 40 && r.unjudgeable == nil)
        guard case .chat(let messages) = r.prompt else { Issue.record("not read as chat"); return }
        // The developer role is rendered as system, as the provider renders it.
        #expect(messages == [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi")])
    }

    @Test func aCompletionRequestGivesItsPromptWithTheDefaults() throws {
        let r = try JobReplay(requestBody: Array(#"{"model": "smollm2", "prompt": "Once upon"}"#.utf8))
        guard case .text(let prompt) = r.prompt else { Issue.record("not read as a completion"); return }
        #expect(prompt == "Once upon" && r.temperature == 1 && r.topP == 1 && r.maxTokens == 16 && r.unjudgeable == nil)
    }

    @Test(arguments: [
        #"{"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}}"#,
        #"{"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}"#,
        #"{"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 2}"#,
        #"{"model": "m", "prompt": "x", "n": 3}"#,
    ])
    func constrainedOrSeveralChoicesAreNotJudged(body: String) throws {
        #expect(try JobReplay(requestBody: Array(body.utf8)).unjudgeable != nil)
    }

    @Test(arguments: ["", "not json", #"{"model": "m"}"#, #"{"messages": []}"#])
    func aBodyThatIsNeitherIsRefused(body: String) {
        #expect(throws: ProviderError.self) { _ = try JobReplay(requestBody: Array(body.utf8)) }
    }
}
