import Foundation

/// Grammars for JSON output: any JSON object (OpenAI's `json_object`), or the values of a JSON schema
/// (`json_schema`).
///
/// Objects of a schema with `properties` are written with their properties in the schema's order, the required ones
/// always and the others optionally, and no other members; so every output the grammar allows parses and validates.
/// Keywords that restrict values in ways a grammar of this kind does not express (`pattern`, string lengths, numeric
/// ranges other than non-negative and positive integers, ...) are refused with a clear error rather than ignored,
/// so a request never receives JSON that fails its own schema. Whitespace is allowed between tokens, at most a
/// newline and 20 spaces or tabs at a time, so the model cannot stall in it.
public enum JSONSchemaGrammar {
    /// The grammar of any JSON object.
    public static func anyObject() -> Grammar {
        var compiler = Compiler(root: .object([]))
        let root = compiler.anyObject()
        return compiler.builder.build(root: root)
    }

    /// The grammar of the values `schema` accepts.
    /// - Throws: `.invalidRequest` naming the keyword or construct that cannot be enforced.
    public static func grammar(schema: JSONDocument) throws -> Grammar {
        var compiler = Compiler(root: schema)
        let root = try compiler.value(schema, path: "schema")
        return compiler.builder.build(root: root)
    }

    /// The grammar of a call of one of `functions`: `{"name": "<name>", "arguments": <a value of its parameters'
    /// schema>}`; with `allowText`, also any text that starts with neither `{` nor whitespace (the model answers in
    /// words instead of calling).
    /// - Throws: `.invalidRequest` for a parameters schema the grammar cannot enforce, naming the function.
    public static func toolCall(functions: [(name: String, parameters: JSONDocument)], allowText: Bool) throws -> Grammar {
        var compiler = Compiler(root: .object([]))
        var alternatives: [[Grammar.Builder.Item]] = []
        for (index, function) in functions.enumerated() {
            compiler.root = function.parameters
            compiler.refPrefix = "\(index)|"
            let arguments = try compiler.value(function.parameters, path: "tools[\(index)].function.parameters")
            let ws = compiler.ws()
            alternatives.append([.literal("{"), .rule(ws), .literal("\"name\""), .rule(ws), .literal(":"), .rule(ws),
                                 .literal(JSONDocument.quoted(function.name)), .rule(ws), .literal(","), .rule(ws),
                                 .literal("\"arguments\""), .rule(ws), .literal(":"), .rule(ws), .rule(arguments), .rule(ws), .literal("}")])
        }
        if allowText {
            let rest = compiler.repeated(.bytes(ByteSet(0...255)), min: 0, max: nil)
            let first = ByteSet(0...8, 11...12, 14...31, 33...122, 124...255)
            alternatives.append([.bytes(first), .rule(rest)])
        }
        let root = compiler.builder.rule(alternatives)
        return compiler.builder.build(root: root)
    }

    /// Annotations and keywords that do not restrict values, or that the grammar always satisfies.
    static let ignored: Set<String> = [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "$defs", "definitions", "deprecated",
        "readOnly", "writeOnly", "strict", "additionalProperties", "discriminator", "nullable",
    ]

    struct Compiler {
        var builder = Grammar.Builder()
        /// The document local `$ref`s point into, and a prefix that keeps the refs of different documents apart.
        var root: JSONDocument
        var refPrefix = ""
        private var refs: [String: Int32] = [:]
        private var cache: [String: Int32] = [:]

        init(root: JSONDocument) { self.root = root }

        static func refused(_ path: String, _ what: String) -> InferenceError {
            InferenceError(.invalidRequest, "\(path): \(what) cannot be enforced by constrained decoding and is not supported")
        }

        /// A rule made once and reused by name.
        mutating func shared(_ name: String, _ make: (inout Compiler) -> [[Grammar.Builder.Item]]) -> Int32 {
            if let r = cache[name] { return r }
            let r = builder.declare()
            cache[name] = r
            let alternatives = make(&self)
            builder.define(r, alternatives)
            return r
        }

        /// Whitespace between tokens: nothing, a space, or a newline and up to 20 spaces or tabs.
        mutating func ws() -> Int32 {
            shared("ws") { c in
                var indent = c.builder.rule([[]])
                for _ in 0..<20 { indent = c.builder.rule([[], [.bytes(ByteSet(0x20...0x20, 0x09...0x09)), .rule(indent)]]) }
                return [[], [.literal(" ")], [.literal("\n"), .rule(indent)]]
            }
        }

        /// `min...max` repetitions of `item` (max nil: unbounded).
        mutating func repeated(_ item: Grammar.Builder.Item, min: Int, max: Int?) -> Int32 {
            var tail: Int32
            if let max {
                tail = builder.rule([[]])
                for _ in 0..<(max - min) { tail = builder.rule([[], [item, .rule(tail)]]) }
            } else {
                let loop = builder.declare()
                builder.define(loop, [[], [item, .rule(loop)]])
                tail = loop
            }
            for _ in 0..<min { tail = builder.rule([[item, .rule(tail)]]) }
            return tail
        }

        mutating func string() -> Int32 {
            shared("string") { c in
                let hex = ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"))
                var escapes = ByteSet()
                for byte in "\"\\/bfnrt".utf8 { escapes.insert(byte) }
                let character = c.builder.rule([
                    [.bytes(JSONSchemaGrammar.plainStringBytes)],
                    [.literal("\\"), .bytes(escapes)],
                    [.literal("\\u"), .bytes(hex), .bytes(hex), .bytes(hex), .bytes(hex)],
                ])
                let characters = c.repeated(.rule(character), min: 0, max: nil)
                return [[.literal("\""), .rule(characters), .literal("\"")]]
            }
        }

        /// Integers of at most 16 digits; `nonNegative` and `positive` drop the sign and zero.
        mutating func integer(nonNegative: Bool, positive: Bool) -> Int32 {
            shared("integer\(nonNegative)\(positive)") { c in
                let digits = c.repeated(.bytes(ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9"))), min: 0, max: 15)
                let natural = c.builder.rule([[.bytes(ByteSet(UInt8(ascii: "1")...UInt8(ascii: "9"))), .rule(digits)]])
                if positive { return [[.rule(natural)]] }
                let unsigned = c.builder.rule([[.literal("0")], [.rule(natural)]])
                return nonNegative ? [[.rule(unsigned)]] : [[.rule(unsigned)], [.literal("-"), .rule(unsigned)]]
            }
        }

        mutating func number(nonNegative: Bool) -> Int32 {
            shared("number\(nonNegative)") { c in
                let integer = c.integer(nonNegative: nonNegative, positive: false)
                let digit = Grammar.Builder.Item.bytes(ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9")))
                let fraction = c.builder.rule([[], [.literal("."), .rule(c.repeated(digit, min: 1, max: 16))]])
                let exponent = c.builder.rule([[], [.bytes(ByteSet(UInt8(ascii: "e")...UInt8(ascii: "e"), UInt8(ascii: "E")...UInt8(ascii: "E"))),
                                                    .rule(c.builder.rule([[], [.literal("+")], [.literal("-")]])), .rule(c.repeated(digit, min: 1, max: 3))]])
                var alternatives: [[Grammar.Builder.Item]] = [[.rule(integer), .rule(fraction), .rule(exponent)]]
                if nonNegative { alternatives = [[.rule(integer), .rule(fraction)]] }
                return alternatives
            }
        }

        /// Comma-separated `item`s, `min...max` of them (max nil: any number), between `open` and `close`.
        mutating func list(_ item: Grammar.Builder.Item, min: Int, max: Int?, open: String, close: String) -> Int32 {
            let ws = ws()
            let more: Int32
            if let max {
                var tail = builder.rule([[]])
                for k in stride(from: max - 1, through: 1, by: -1) {
                    tail = builder.rule((k >= min ? [[]] : []) + [[.rule(ws), .literal(","), .rule(ws), item, .rule(tail)]])
                }
                more = tail
            } else {
                let loop = builder.declare()
                builder.define(loop, [[], [.rule(ws), .literal(","), .rule(ws), item, .rule(loop)]])
                var tail = loop
                if min > 1 { for _ in 1..<min { tail = builder.rule([[.rule(ws), .literal(","), .rule(ws), item, .rule(tail)]]) } }
                more = tail
            }
            var body: [[Grammar.Builder.Item]] = []
            if max != 0 { body.append([item, .rule(more)]) }
            if min == 0 { body.append([]) }
            let inner = builder.rule(body)
            return builder.rule([[.literal(open), .rule(ws), .rule(inner), .rule(ws), .literal(close)]])
        }

        mutating func anyValue() -> Int32 {
            if let r = cache["any"] { return r }
            let r = builder.declare()
            cache["any"] = r
            let object = anyObject()
            let array = list(.rule(r), min: 0, max: nil, open: "[", close: "]")
            builder.define(r, [[.rule(object)], [.rule(array)], [.rule(string())], [.rule(number(nonNegative: false))],
                               [.literal("true")], [.literal("false")], [.literal("null")]])
            return r
        }

        mutating func anyObject() -> Int32 {
            if let r = cache["anyObject"] { return r }
            let r = builder.declare()
            cache["anyObject"] = r
            let value = anyValue()
            let ws = ws()
            let member = builder.rule([[.rule(string()), .rule(ws), .literal(":"), .rule(ws), .rule(value)]])
            let object = list(.rule(member), min: 0, max: nil, open: "{", close: "}")
            builder.define(r, [[.rule(object)]])
            return r
        }

        func integerValue(_ document: JSONDocument?) -> Int? {
            guard case .number(let text)? = document else { return nil }
            return Int(text) ?? Double(text).flatMap { $0 == $0.rounded() && abs($0) < 1e15 ? Int($0) : nil }
        }

        /// The rule for `schema`, found at `path` (for error messages).
        mutating func value(_ schema: JSONDocument, path: String) throws -> Int32 {
            switch schema {
            case .bool(true): return anyValue()
            case .bool(false): throw Self.refused(path, "the schema 'false' (no value is valid)")
            case .object: break
            default: throw InferenceError(.invalidRequest, "\(path): a schema must be an object or a boolean")
            }
            guard case .object(let members) = schema else { return anyValue() }
            let keywords = Set(members.map(\.key))

            if case .string(let ref)? = schema["$ref"] {
                if let r = refs[refPrefix + ref] { return r }
                let target = try resolve(ref, path: path)
                let r = builder.declare()
                refs[refPrefix + ref] = r
                builder.define(r, [[.rule(try value(target, path: ref))]])
                let others = keywords.subtracting(Self.ignoredWithRef)
                guard others.isEmpty else { throw Self.refused(path, "'$ref' beside '\(others.sorted().joined(separator: "', '"))'") }
                return r
            }
            if case .array(let values)? = schema["enum"] ?? schema["const"].map({ .array([$0]) }) {
                guard !values.isEmpty else { throw Self.refused(path, "an empty 'enum'") }
                return builder.rule(values.map { [.literal($0.text)] })
            }
            for keyword in ["anyOf", "oneOf"] {
                if case .array(let options)? = schema[keyword] {
                    guard !options.isEmpty else { throw Self.refused(path, "an empty '\(keyword)'") }
                    var alternatives: [[Grammar.Builder.Item]] = []
                    for (i, option) in options.enumerated() { alternatives.append([.rule(try value(option, path: "\(path).\(keyword)[\(i)]"))]) }
                    return builder.rule(alternatives)
                }
            }
            if case .array(let parts)? = schema["allOf"] {
                guard parts.count == 1 else { throw Self.refused(path, "'allOf' with more than one schema") }
                return try value(parts[0], path: "\(path).allOf[0]")
            }
            var types: [String] = []
            switch schema["type"] {
            case .string(let t)?: types = [t]
            case .array(let list)?: types = list.compactMap { if case .string(let t) = $0 { t } else { nil } }
            case nil:
                if schema["properties"] != nil { types = ["object"] } else if schema["items"] != nil { types = ["array"] }
            default: throw InferenceError(.invalidRequest, "\(path).type: must be a string or a list of strings")
            }
            let unsupported = keywords.subtracting(JSONSchemaGrammar.ignored).subtracting(Self.understood)
            if let keyword = unsupported.sorted().first { throw Self.refused(path, "'\(keyword)'") }
            guard !types.isEmpty else { return anyValue() }
            var rules: [Int32] = []
            for type in types { rules.append(try typed(type, schema, path: path)) }
            return rules.count == 1 ? rules[0] : builder.rule(rules.map { [.rule($0)] })
        }

        static let ignoredWithRef: Set<String> = JSONSchemaGrammar.ignored.union(["$ref"])
        static let understood: Set<String> = ["type", "properties", "required", "items", "minItems", "maxItems", "minimum", "exclusiveMinimum", "format"]

        mutating func typed(_ type: String, _ schema: JSONDocument, path: String) throws -> Int32 {
            switch type {
            case "string":
                if case .string(let format)? = schema["format"], !format.isEmpty { throw Self.refused(path, "'format' \(format)") }
                return string()
            case "integer", "number":
                var nonNegative = false, positive = false
                if let minimum = schema["minimum"] {
                    guard let m = integerValue(minimum), m == 0 || (m == 1 && type == "integer") else {
                        throw Self.refused(path, "'minimum' other than 0 (or 1 for integers)")
                    }
                    nonNegative = true
                    positive = m == 1
                }
                if let exclusive = schema["exclusiveMinimum"] {
                    guard integerValue(exclusive) == 0, type == "integer" else { throw Self.refused(path, "'exclusiveMinimum' other than 0 on an integer") }
                    nonNegative = true
                    positive = true
                }
                return type == "integer" ? integer(nonNegative: nonNegative, positive: positive) : number(nonNegative: nonNegative)
            case "boolean": return builder.rule([[.literal("true")], [.literal("false")]])
            case "null": return builder.rule([[.literal("null")]])
            case "array":
                let item = try schema["items"].map { try value($0, path: "\(path).items") } ?? anyValue()
                let min = integerValue(schema["minItems"]) ?? 0
                let max = integerValue(schema["maxItems"])
                guard min >= 0, min <= 16, max.map({ $0 >= min && $0 <= 64 }) ?? true else {
                    throw Self.refused(path, "'minItems' above 16 or 'maxItems' above 64")
                }
                return list(.rule(item), min: min, max: max, open: "[", close: "]")
            case "object":
                guard case .object(let properties)? = schema["properties"], !properties.isEmpty else {
                    guard let values = schema["additionalProperties"], values != .bool(true), values != .object([]) else { return anyObject() }
                    // A map: any names, every value valid against `additionalProperties` (false: only the empty object).
                    if values == .bool(false) { return builder.rule([[.literal("{"), .rule(ws()), .literal("}")]]) }
                    let value = try value(values, path: "\(path).additionalProperties")
                    let ws = ws()
                    let member = builder.rule([[.rule(string()), .rule(ws), .literal(":"), .rule(ws), .rule(value)]])
                    return list(.rule(member), min: 0, max: nil, open: "{", close: "}")
                }
                var required = Set<String>()
                if case .array(let names)? = schema["required"] {
                    for case .string(let name) in names { required.insert(name) }
                }
                let known = Set(properties.map(\.key))
                if let missing = required.subtracting(known).sorted().first { throw Self.refused(path, "required property '\(missing)' that has no schema") }
                return try object(properties, required: required, path: path)
            default: throw InferenceError(.invalidRequest, "\(path).type: unknown type '\(type)'")
            }
        }

        /// `{` the properties in order, each optional one may be left out `}`.
        mutating func object(_ properties: [(key: String, value: JSONDocument)], required: Set<String>, path: String) throws -> Int32 {
            let ws = ws()
            var members: [Int32] = []
            for (name, schema) in properties {
                let value = try value(schema, path: "\(path).properties.\(name)")
                members.append(builder.rule([[.literal(JSONDocument.quoted(name)), .rule(ws), .literal(":"), .rule(ws), .rule(value)]]))
            }
            // after[i]: what may follow once a member before i was written; first[i]: the members from i on when none was.
            let n = properties.count
            var after = [Int32](repeating: 0, count: n + 1)
            var first = [Int32](repeating: 0, count: n + 1)
            after[n] = builder.rule([[]])
            first[n] = builder.rule([[]])
            for i in stride(from: n - 1, through: 0, by: -1) {
                let optional = !required.contains(properties[i].key)
                let written: [Grammar.Builder.Item] = [.rule(ws), .literal(","), .rule(ws), .rule(members[i]), .rule(after[i + 1])]
                after[i] = builder.rule(optional ? [written, [.rule(after[i + 1])]] : [written])
                let begins: [Grammar.Builder.Item] = [.rule(members[i]), .rule(after[i + 1])]
                first[i] = builder.rule(optional ? [begins, [.rule(first[i + 1])]] : [begins])
            }
            return builder.rule([[.literal("{"), .rule(ws), .rule(first[0]), .rule(ws), .literal("}")]])
        }

        /// The schema a local `$ref` points at (`#`, `#/$defs/X`, `#/definitions/X` or any JSON pointer into the root).
        func resolve(_ ref: String, path: String) throws -> JSONDocument {
            guard ref.hasPrefix("#") else { throw Self.refused(path, "a '$ref' outside the schema (\(ref))") }
            var node = root
            for part in ref.dropFirst().split(separator: "/") {
                let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                guard let next = node[key] else { throw InferenceError(.invalidRequest, "\(path): '$ref' \(ref) points at nothing") }
                node = next
            }
            return node
        }
    }

    /// The bytes a JSON string may hold unescaped: not `"`, not `\`, no control character.
    static let plainStringBytes: ByteSet = ByteSet(0x20...0x21, 0x23...0x5B, 0x5D...0xFF)
}
