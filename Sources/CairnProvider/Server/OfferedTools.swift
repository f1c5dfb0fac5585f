import CairnInference
import CairnWire
import Foundation

/// The functions a chat request offers under `tools`, and how the model may use them (`tool_choice`).
///
/// The model learns of the functions from a system message; its output is decoded under a grammar that makes a call
/// exactly `{"name": ..., "arguments": ...}` with the arguments valid against the function's parameters schema
/// (``JSONSchemaGrammar/toolCall(functions:allowText:)``). With `auto` the first byte decides: `{` starts a call,
/// anything else a text answer. A finished call is answered as `tool_calls` with finish reason `tool_calls`.
struct OfferedTools {
    struct Function {
        var name: String
        var description: String?
        var parameters: JSONDocument
    }

    enum Choice: Equatable {
        case auto
        case required
        case named(String)
    }

    var functions: [Function]
    var choice: Choice

    /// The tools `raw` (the request body) offers, or nil when it offers none or `tool_choice` is `none`.
    static func parse(raw: Data) throws -> OfferedTools? {
        guard let document = try? JSONDocument(parsing: raw), let offered = document["tools"], offered != .null else { return nil }
        guard case .array(let list) = offered else { throw OpenAIError.invalidRequest("'tools' must be a list", param: "tools") }
        var functions: [Function] = []
        for (i, tool) in list.enumerated() {
            guard tool["type"] == .string("function"), let function = tool["function"] else {
                throw OpenAIError.invalidRequest("tools[\(i)]: only tools of type 'function' are supported", param: "tools[\(i)].type")
            }
            guard case .string(let name)? = function["name"], Self.isValidName(name) else {
                throw OpenAIError.invalidRequest("tools[\(i)].function.name must be 1 to 64 letters, digits, '_' or '-'", param: "tools[\(i)].function.name")
            }
            guard !functions.contains(where: { $0.name == name }) else {
                throw OpenAIError.invalidRequest("tools[\(i)]: the function '\(name)' is offered twice", param: "tools[\(i)].function.name")
            }
            var description: String?
            if case .string(let text)? = function["description"] { description = text }
            let parameters = function["parameters"] ?? .object([("type", .string("object")), ("properties", .object([]))])
            functions.append(Function(name: name, description: description, parameters: parameters))
        }
        guard !functions.isEmpty else { return nil }
        var choice = Choice.auto
        switch document["tool_choice"] {
        case nil, .null?, .string("auto")?: choice = .auto
        case .string("none")?: return nil
        case .string("required")?: choice = .required
        case let named?:
            guard named["type"] == .string("function"), case .string(let name)? = named["function"]?["name"] else {
                throw OpenAIError.invalidRequest("'tool_choice' must be 'none', 'auto', 'required' or a function", param: "tool_choice")
            }
            guard functions.contains(where: { $0.name == name }) else {
                throw OpenAIError.invalidRequest("'tool_choice' names '\(name)', which 'tools' does not offer", param: "tool_choice")
            }
            choice = .named(name)
        }
        return OfferedTools(functions: functions, choice: choice)
    }

    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    /// The functions the output may call.
    var callable: [Function] {
        if case .named(let name) = choice { return functions.filter { $0.name == name } }
        return functions
    }

    /// The grammar of the output.
    func grammar() throws -> Grammar {
        do {
            return try JSONSchemaGrammar.toolCall(functions: callable.map { ($0.name, $0.parameters) }, allowText: choice == .auto)
        } catch let error as InferenceError {
            throw OpenAIError.invalidRequest("invalid function parameters: \(error.message)", param: "tools")
        }
    }

    /// What the system message tells the model about the functions.
    var instructions: String {
        var text = "You can call functions. Each is described by a JSON object:\n"
        for function in functions {
            var members: [(key: String, value: JSONDocument)] = [("name", .string(function.name))]
            if let description = function.description { members.append(("description", .string(description))) }
            members.append(("parameters", function.parameters))
            text += JSONDocument.object(members).text + "\n"
        }
        text += "To call a function, reply with only a JSON object of the form {\"name\": function name, \"arguments\": arguments object}."
        switch choice {
        case .auto: text += " Call a function when it helps to answer; otherwise answer in words."
        case .required: text += " You must call one of the functions."
        case .named(let name): text += " You must call the function \(name)."
        }
        return text
    }

    /// The chat as the model sees it: the instructions added to the system message (or in one of their own first).
    func messages(_ chat: [ChatMessage]) -> [ChatMessage] {
        var messages = chat
        if let first = messages.first, first.role == "system" {
            messages[0] = ChatMessage(role: "system", content: first.content + "\n\n" + instructions)
        } else {
            messages.insert(ChatMessage(role: "system", content: instructions), at: 0)
        }
        return messages
    }

    /// The call in `text` (a finished output), or nil when the model answered in words.
    func call(in text: String) -> ToolCall? {
        guard text.first == "{", let document = try? JSONDocument(parsing: text), case .string(let name)? = document["name"],
            let arguments = document["arguments"], callable.contains(where: { $0.name == name })
        else { return nil }
        let suffix = String((0..<24).map { _ in "0123456789abcdefghijklmnopqrstuvwxyz".randomElement()! })
        return ToolCall(id: "call_" + suffix, name: name, arguments: arguments.text)
    }
}

extension ChatRequestMessage {
    /// The message as the chat template renders it: an assistant's calls as the JSON the model writes for them, a
    /// tool's result under the role `tool`.
    var renderedContent: String {
        guard !toolCalls.isEmpty else { return content }
        let calls = toolCalls.map { call in
            let arguments = (try? JSONDocument(parsing: call.arguments)) ?? .string(call.arguments)
            return JSONDocument.object([("name", .string(call.name)), ("arguments", arguments)]).text
        }
        return ([content].filter { !$0.isEmpty } + calls).joined(separator: "\n")
    }
}
