import CairnInference
import CairnWire
import Foundation
import Testing
@testable import CairnProvider

/// `tools` and `tool_choice`: what is offered, what the model is told, what its output may be, and what a call is.
@Suite struct OfferedToolsTests {
    static let weather = #"""
    {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
                    "required": ["city", "unit"], "additionalProperties": false}}}
    """#
    static let time = #"{"type": "function", "function": {"name": "get_time"}}"#

    static func body(choice: String? = nil) -> Data {
        Data(#"{"model":"m","messages":[],"tools":[\#(weather),\#(time)]\#(choice.map { #","tool_choice":\#($0)"# } ?? "")}"#.utf8)
    }

    static func allows(_ grammar: Grammar, _ text: String) -> Bool {
        grammar.start.advanced(by: Array(text.utf8), in: grammar)?.isComplete == true
    }

    @Test func theChoiceDecidesWhatTheOutputMayBe() throws {
        let auto = try #require(try OfferedTools.parse(raw: Self.body()))
        #expect(auto.choice == .auto && auto.functions.map(\.name) == ["get_weather", "get_time"])
        let call = #"{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}"#
        let grammar = try auto.grammar()
        #expect(Self.allows(grammar, call))
        #expect(Self.allows(grammar, #"{"name":"get_time","arguments":{}}"#))
        #expect(Self.allows(grammar, "It is sunny in Paris."))
        #expect(!Self.allows(grammar, #"{"name": "get_weather", "arguments": {"city": "Paris", "unit": "kelvin"}}"#))
        #expect(!Self.allows(grammar, #"{"name": "launch", "arguments": {}}"#))
        #expect(!Self.allows(grammar, #"{"text": "hi"}"#), "an object that is no call is not a text answer either")

        let required = try #require(try OfferedTools.parse(raw: Self.body(choice: #""required""#)))
        #expect(!Self.allows(try required.grammar(), "It is sunny."))
        #expect(Self.allows(try required.grammar(), call))
        let named = try #require(try OfferedTools.parse(raw: Self.body(choice: #"{"type":"function","function":{"name":"get_time"}}"#)))
        #expect(!Self.allows(try named.grammar(), call))
        #expect(Self.allows(try named.grammar(), #"{"name":"get_time","arguments":{}}"#))
        #expect(try OfferedTools.parse(raw: Self.body(choice: #""none""#)) == nil)
        #expect(try OfferedTools.parse(raw: Data(#"{"model":"m","messages":[]}"#.utf8)) == nil)
    }

    @Test func theModelIsToldOfEveryFunctionAndACallIsRecognised() throws {
        let tools = try #require(try OfferedTools.parse(raw: Self.body(choice: #""required""#)))
        let messages = tools.messages([ChatMessage(role: "system", content: "Be brief."), .user("Weather in Paris?")])
        #expect(messages.count == 2 && messages[0].role == "system")
        #expect(messages[0].content.hasPrefix("Be brief.") && messages[0].content.contains("\"name\":\"get_weather\"")
                && messages[0].content.contains("\"name\":\"get_time\"") && messages[0].content.contains("must call"))
        #expect(tools.messages([.user("hi")]).first?.role == "system")
        let call = try #require(tools.call(in: #"{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}"#))
        #expect(call.name == "get_weather" && call.arguments == #"{"city":"Paris","unit":"celsius"}"# && call.id.hasPrefix("call_"))
        #expect(tools.call(in: "It is sunny.") == nil)
        #expect(tools.call(in: #"{"name": "get_weather", "arguments": {"city": "Par"#) == nil, "a call cut short is no call")
    }

    @Test func aHistoryWithCallsAndResultsRendersForTheTemplate() throws {
        let json = #"""
        [{"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
           "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"unit\": \"celsius\"}"}}]},
         {"role": "tool", "tool_call_id": "call_1", "content": "18 degrees"}]
        """#
        let messages = try JSONDecoder().decode([ChatRequestMessage].self, from: Data(json.utf8))
        #expect(messages[0].toolCalls.first?.name == "get_weather" && messages[1].toolCallID == "call_1")
        #expect(messages[0].chatMessage == ChatMessage(role: "assistant", content: #"{"name":"get_weather","arguments":{"city":"Paris","unit":"celsius"}}"#))
        #expect(messages[1].chatMessage == ChatMessage(role: "tool", content: "18 degrees"))
    }

    @Test func badToolsAreRefusedWithTheirParam() {
        let cases: [(String, String)] = [
            (#""tools":{"a":1}"#, "tools"),
            (#""tools":[{"type":"retrieval"}]"#, "tools[0].type"),
            (#""tools":[{"type":"function","function":{"name":""}}]"#, "tools[0].function.name"),
            (#""tools":[\#(Self.time),\#(Self.time)]"#, "tools[1].function.name"),
            (#""tools":[\#(Self.time)],"tool_choice":"sometimes""#, "tool_choice"),
        ]
        for (fields, param) in cases {
            let error = #expect(throws: OpenAIError.self) { try OfferedTools.parse(raw: Data(#"{"model":"m",\#(fields)}"#.utf8)) }
            #expect(error?.body.error.param == param, "\(fields): \(String(describing: error?.body.error))")
        }
    }
}
