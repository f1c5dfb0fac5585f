import Testing
import Foundation
@testable import CairnGateway

/// The answer text an audit checks is the text the provider hashed into its receipt: one choice's content, whole or
/// gathered from a stream; answers the check does not judge give none.
@Suite struct AnswerTextTests {
    @Test func aWholeChatOrCompletionGivesItsOneChoicesText() {
        let chat = #"{"id": "x", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}, "finish_reason": "stop"}]}"#
        #expect(AnswerText.whole(Data(chat.utf8)) == "Paris.")
        let completion = #"{"id": "x", "choices": [{"index": 0, "text": " upon a time", "finish_reason": "length"}]}"#
        #expect(AnswerText.whole(Data(completion.utf8)) == " upon a time")
    }

    @Test(arguments: [
        #"{"choices": [{"message": {"content": "a"}}, {"message": {"content": "b"}}]}"#,
        #"{"choices": [{"message": {"content": null, "tool_calls": [{"id": "c", "type": "function"}]}}]}"#,
        #"not json"#,
    ])
    func severalChoicesToolCallsOrGarbageGiveNone(body: String) {
        #expect(AnswerText.whole(Data(body.utf8)) == nil)
    }

    @Test func anEmbeddingsAnswerGivesItsVectorsAsLittleEndianF32InInputOrder() {
        let one: Float = 1, half: Float = -0.5
        func bytes(_ xs: [Float]) -> [UInt8] { xs.flatMap { x in withUnsafeBytes(of: x.bitPattern.littleEndian) { Array($0) } } }
        let floats = #"{"data": [{"index": 1, "embedding": [-0.5, 1]}, {"index": 0, "embedding": [1, -0.5]}]}"#
        #expect(AnswerText.embeddingBytes(Data(floats.utf8)) == bytes([one, half, half, one]))
        let base64 = Data(bytes([one, half])).base64EncodedString()
        let encoded = #"{"data": [{"index": 0, "embedding": "\#(base64)"}]}"#
        #expect(AnswerText.embeddingBytes(Data(encoded.utf8)) == bytes([one, half]))
        #expect(AnswerText.embeddingBytes(Data(#"{"data": [{"index": 0, "embedding": "@@"}]}"#.utf8)) == nil)
        #expect(AnswerText.embeddingBytes(Data("not json".utf8)) == nil)
    }

    @Test func aStreamGathersItsDeltas() {
        var s = AnswerText.Stream()
        for data in [#"{"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}"#,
                     #"{"choices": [{"index": 0, "delta": {"content": "Par"}}]}"#, #"{"choices": [{"index": 0, "delta": {"content": "is."}}]}"#,
                     #"{"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}"#, "[DONE]"] {
            s.add(data)
        }
        #expect(s.text == "Paris.")
        var several = AnswerText.Stream()
        several.add(#"{"choices": [{"index": 1, "delta": {"content": "x"}}]}"#)
        #expect(several.text == nil)
        var tools = AnswerText.Stream()
        tools.add(#"{"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0}]}}]}"#)
        #expect(tools.text == nil)
    }
}
