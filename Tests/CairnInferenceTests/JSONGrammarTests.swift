import CairnTestSupport
import Foundation
import Testing
@testable import CairnInference

/// JSON output held to a grammar: the schema compiler's grammars accept what the schema accepts and nothing else,
/// the vocabulary trie allows exactly the tokens whose bytes the grammar accepts, and generation under a grammar
/// always gives JSON that parses and matches.
@Suite struct JSONGrammarTests {
    static func matches(_ grammar: Grammar, _ text: String) -> Bool {
        grammar.start.advanced(by: Array(text.utf8), in: grammar)?.isComplete == true
    }

    /// A schema as Pydantic writes it for a model with a nested model, an optional field, an enum and a list.
    static let pydanticSchema = #"""
    {"$defs": {"Address": {"properties": {"city": {"title": "City", "type": "string"},
                                          "zip": {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "Zip"}},
                           "required": ["city", "zip"], "title": "Address", "type": "object", "additionalProperties": false}},
     "properties": {"name": {"title": "Name", "type": "string"},
                    "age": {"title": "Age", "type": "integer", "minimum": 0},
                    "role": {"enum": ["admin", "user"], "title": "Role", "type": "string"},
                    "tags": {"items": {"type": "string"}, "title": "Tags", "type": "array"},
                    "address": {"$ref": "#/$defs/Address"},
                    "score": {"type": "number"},
                    "active": {"type": "boolean"}},
     "required": ["name", "age", "role", "tags", "address"], "title": "Person", "type": "object", "additionalProperties": false}
    """#

    @Test func documentsParseInOrderAndBadTextIsRefused() throws {
        let doc = try JSONDocument(parsing: #" {"b": [1, -2.5e3, true, null], "a": "x\"\u00e9\ud83d\ude00"} "#)
        guard case .object(let members) = doc else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["b", "a"])
        #expect(doc["a"] == .string("x\"é😀"))
        #expect(doc.text == #"{"b":[1,-2.5e3,true,null],"a":"x\"é😀"}"#)
        for bad in ["", "{", #"{"a":}"#, "[1,]", "01", "1.", #""\x""#, "{} {}", "\"\u{01}\"", #"{"a" 1}"#, "nul"] {
            #expect(throws: InferenceError.self, "\(bad.debugDescription)") { try JSONDocument(parsing: bad) }
        }
    }

    @Test func aSchemasGrammarAcceptsItsValuesAndNothingElse() throws {
        let grammar = try JSONSchemaGrammar.grammar(schema: JSONDocument(parsing: Self.pydanticSchema))
        let valid = [
            #"{"name":"Ann","age":41,"role":"admin","tags":[],"address":{"city":"Oslo","zip":null}}"#,
            #"{"name": "B \"q\" \u00e9", "age": 0, "role": "user", "tags": ["x", "y"], "address": {"city": "", "zip": 123}, "score": -1.5e2, "active": true}"#,
            "{\n  \"name\": \"C\",\n  \"age\": 7,\n  \"role\": \"user\",\n  \"tags\": [\"a\"],\n  \"address\": {\"city\": \"X\", \"zip\": 9},\n  \"active\": false\n}",
        ]
        for text in valid {
            #expect(Self.matches(grammar, text), "\(text)")
            #expect((try? JSONDocument(parsing: text)) != nil)
        }
        let invalid = [
            #"{"name":"Ann","age":41,"role":"admin","tags":[]}"#,  // a required property missing
            #"{"name":"Ann","age":-1,"role":"admin","tags":[],"address":{"city":"O","zip":null}}"#,  // minimum 0
            #"{"name":"Ann","age":41,"role":"root","tags":[],"address":{"city":"O","zip":null}}"#,  // not in the enum
            #"{"name":"Ann","age":4.5,"role":"user","tags":[],"address":{"city":"O","zip":null}}"#,  // not an integer
            #"{"name":"Ann","age":41,"role":"user","tags":[1],"address":{"city":"O","zip":null}}"#,  // items are strings
            #"{"name":"Ann","age":41,"role":"user","tags":[],"address":{"city":"O","zip":null},"extra":1}"#,  // no other members
            #"{"name":"Ann","age":041,"role":"user","tags":[],"address":{"city":"O","zip":null}}"#,  // leading zero
            #"{"name":"A"#,  // unfinished
        ]
        for text in invalid { #expect(!Self.matches(grammar, text), "\(text)") }
        // Past the closing brace nothing may follow, not even whitespace: the output ends there.
        let done = try #require(grammar.start.advanced(by: Array(valid[0].utf8), in: grammar))
        #expect(done.isComplete && !done.canContinue)
    }

    @Test func jsonObjectModeAcceptsAnyObjectOnly() {
        let grammar = JSONSchemaGrammar.anyObject()
        for text in [#"{}"#, #"{"a":[1,{"b":null},"s",[]],"c":{"d":-0.5}}"#, "{ \"x\" : true }"] { #expect(Self.matches(grammar, text), "\(text)") }
        for text in ["[]", "1", #""s""#, #"{"a":}"#, #"{"a":1,}"#, "{'a':1}"] { #expect(!Self.matches(grammar, text), "\(text)") }
    }

    @Test func keywordsAGrammarCannotEnforceAreRefusedByName() throws {
        let cases: [(String, String)] = [
            (#"{"type":"string","pattern":"^a+$"}"#, "pattern"),
            (#"{"type":"string","maxLength":3}"#, "maxLength"),
            (#"{"type":"integer","maximum":10}"#, "maximum"),
            (#"{"type":"string","format":"date-time"}"#, "format"),
            (##"{"$ref":"#/$defs/Missing"}"##, "points at nothing"),
            (#"{"type":"object","properties":{"a":{"type":"string"}},"required":["b"]}"#, "'b'"),
        ]
        for (schema, word) in cases {
            let error = #expect(throws: InferenceError.self) { try JSONSchemaGrammar.grammar(schema: JSONDocument(parsing: schema)) }
            #expect(error?.message.contains(word) == true, "\(schema): \(error?.message ?? "")")
        }
        // A recursive schema is fine: a tree of nodes.
        let tree = try JSONSchemaGrammar.grammar(schema: JSONDocument(parsing: #"""
            {"$defs":{"Node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/Node"}}},
             "required":["v","kids"]}},"$ref":"#/$defs/Node"}
            """#))
        #expect(Self.matches(tree, #"{"v":1,"kids":[{"v":2,"kids":[]},{"v":3,"kids":[{"v":4,"kids":[]}]}]}"#))
        #expect(!Self.matches(tree, #"{"v":1,"kids":[{"v":2}]}"#))
    }

    /// A toy vocabulary: printable ASCII one byte per token, then multi-byte pieces a JSON writer would use.
    static let pieces = ["{\"", "\":", "\",", "\"}", "true", "null", "name", " \"", "\n  ", "12", "\\n", "ab\"", "\"]", "e5", "},", ":[", "false", "é"]
    static let vocabulary: [(id: Int32, bytes: [UInt8])] = {
        var list = (0..<95).map { (id: Int32($0), bytes: [UInt8(0x20 + $0)]) }
        for (i, piece) in pieces.enumerated() { list.append((Int32(95 + i), Array(piece.utf8))) }
        return list
    }()

    @Test func theTrieAllowsExactlyTheTokensTheGrammarAccepts() throws {
        let grammar = try JSONSchemaGrammar.grammar(schema: JSONDocument(parsing: Self.pydanticSchema))
        let trie = TokenTrie(vocabularySize: Self.vocabulary.count, tokens: Self.vocabulary)
        let text = #"{"name": "Ann \"x\" é", "age": 12, "role": "user", "tags": ["ab", "c"], "address": {"city": "Oslo", "zip": null}, "score": 1.5e5}"#
        var state = grammar.start
        var checked = 0, inString = 0
        // At every prefix of a valid document: the trie's answer equals trying every token's bytes one by one.
        for byte in Array(text.utf8) {
            let expected = Set(Self.vocabulary.filter { state.advanced(by: $0.bytes, in: grammar) != nil }.map(\.id))
            let got = trie.allowed(from: state, grammar: grammar)
            #expect(Set(got) == expected, "after \(checked) bytes")
            #expect(got.count == Set(got).count, "a token listed twice")
            if state.loops(over: JSONSchemaGrammar.plainStringBytes, probe: UInt8(ascii: "a"), in: grammar) { inString += 1 }
            state = try #require(state.advanced(by: byte, in: grammar))
            checked += 1
        }
        #expect(state.isComplete)
        #expect(inString > 10, "the free-string shortcut was taken \(inString) times")
    }

    /// The toy vocabulary as a tokenizer.
    struct PieceTokenizer: TextTokenizer {
        func encode(_ text: String) throws -> [Int32] { text.utf8.map { Int32($0) - 0x20 } }
        func decode(_ ids: [Int32]) -> String { String(decoding: ids.flatMap { tokenBytes($0) }, as: UTF8.self) }
        func tokenBytes(_ id: Int32) -> [UInt8] { Int(id) < JSONGrammarTests.vocabulary.count ? JSONGrammarTests.vocabulary[Int(id)].bytes : [] }
    }

    @Test func generationUnderAGrammarAlwaysGivesValidJSON() async throws {
        // A random-weight model of the toy vocabulary (113 tokens, the last unused as end token) samples hot: left
        // alone it writes noise; held to the schema every output must parse and match, or be cut by max_tokens.
        let shape = TinyLlama.Shape(dimension: 64, hidden: 96, layers: 2, heads: 4, kvHeads: 2, vocabulary: 114, context: 400)
        let model = try LlamaModel(file: GGUFFile(path: try TinyLlama.write(seed: 5, shape: shape)))
        let generator = TextGenerator(model: model, tokenizer: PieceTokenizer(), endTokens: [113])
        let schema = try JSONDocument(parsing: Self.pydanticSchema)
        let grammar = try JSONSchemaGrammar.grammar(schema: schema)
        var complete = 0
        try await onOwnThread {
            for seed in 0..<12 {
                let parameters = SamplingParameters(temperature: 1.5, seed: UInt64(seed), maxTokens: 300, grammar: grammar)
                var text = ""
                let summary = try generator.generate(promptTokens: [10, 20], parameters: parameters) { event in
                    if case .token(_, let piece) = event { text += piece } else if case .text(let piece) = event { text += piece }
                }
                if summary.finishReason == .endOfSequence {
                    complete += 1
                    #expect(Self.matches(grammar, text), "seed \(seed): \(text)")
                    #expect((try? JSONDocument(parsing: text)) != nil, "seed \(seed): \(text)")
                } else {
                    #expect(summary.finishReason == .length)
                    #expect(grammar.start.advanced(by: Array(text.utf8), in: grammar) != nil, "seed \(seed): a cut output is a prefix: \(text)")
                }
            }
        }
        #expect(complete >= 3, "\(complete) of 12 outputs finished within 300 tokens")
    }
}

/// The real SmolLM2 through the batching container, as the provider runs it: asked for a person as JSON, with and
/// without a schema, greedy and sampled, alone and side by side with an unconstrained stream.
@Suite(.enabled(if: (try? ModelLocator().path(for: "smollm2")) != nil, "SmolLM2 is not installed"))
struct SmolLM2JSONTests {
    @Test func constrainedOutputsParseAndMatchTheirSchema() async throws {
        let path = try ModelLocator().path(for: "smollm2")
        let container = try await onOwnThread { try LanguageModelLoader.load(path: path, contextLength: 512) }
        let tokenizer = try #require(container.tokenizer)
        // At most three tags (Pydantic's max_length on a list): a 135M model may otherwise list tags until max_tokens.
        let schema = try JSONDocument(parsing: JSONGrammarTests.pydanticSchema.replacingOccurrences(
            of: #""title": "Tags", "type": "array""#, with: #""title": "Tags", "type": "array", "maxItems": 3"#))
        let grammar = try JSONSchemaGrammar.grammar(schema: schema)
        #expect(!JSONGrammarTests.matches(grammar, #"{"name":"A","age":1,"role":"user","tags":["a","b","c","d"],"address":{"city":"O","zip":null}}"#))
        let prompt = try tokenizer.encode(ChatTemplate.smolLM2.render([.user("Describe a person called Ann who lives in Oslo, as JSON, with two tags.")]))
        let runs: [(label: String, parameters: SamplingParameters, grammar: Grammar?)] = [
            ("schema, greedy", SamplingParameters(maxTokens: 200, grammar: grammar), grammar),
            ("schema, T=0.8", SamplingParameters(temperature: 0.8, topP: 0.95, seed: 4, maxTokens: 200, grammar: grammar), grammar),
            ("json_object, greedy", SamplingParameters(maxTokens: 200, grammar: JSONSchemaGrammar.anyObject()), nil),
            ("free text", SamplingParameters(maxTokens: 40), nil),
        ]
        try await withThrowingTaskGroup(of: (String, String, FinishReason, Grammar?, Bool).self) { group in
            for run in runs {
                group.addTask {
                    var text = ""
                    var reason = FinishReason.length
                    for try await event in container.generate(promptTokens: prompt, parameters: run.parameters) {
                        switch event {
                        case .token(_, let piece), .text(let piece): text += piece
                        case .finished(let summary): reason = summary.finishReason
                        default: break
                        }
                    }
                    return (run.label, text, reason, run.grammar, run.parameters.grammar != nil)
                }
            }
            var complete = 0
            for try await (label, text, reason, schemaGrammar, constrained) in group {
                print("\(label) [\(reason)]: \(text)")
                guard constrained else { continue }
                guard reason == .endOfSequence else {
                    // A small model may repeat itself inside the JSON until max_tokens: then the text is a prefix.
                    #expect(reason == .length, "\(label)")
                    if let schemaGrammar { #expect(schemaGrammar.start.advanced(by: Array(text.utf8), in: schemaGrammar) != nil, "\(label): \(text)") }
                    continue
                }
                complete += 1
                let document = try? JSONDocument(parsing: text)
                #expect(document != nil, "\(label): \(text)")
                if case .object? = document {} else { Issue.record("\(label): not an object: \(text)") }
                if let schemaGrammar { #expect(JSONGrammarTests.matches(schemaGrammar, text), "\(label): \(text)") }
            }
            #expect(complete >= 2, "\(complete) of 3 constrained outputs finished within 200 tokens")
        }
    }
}
