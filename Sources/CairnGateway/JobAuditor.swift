public import CairnPrimitives
public import CairnMarket
public import Foundation

/// Checks a share of the gateway's own jobs: handed every job whose receipt the gateway accepted, with the request body
/// it sent, it draws (after the receipt exists) whether to check it, and only then reads the text the provider answered
/// (`answer`: nil for an answer the check does not judge) and challenges the provider on the chain when the check fails.
/// The gateway calls it off the request path.
public protocol JobAuditor: Sendable {
    /// `answer` gives the output's bytes as the receipt hashes them (the text as UTF-8, or the vectors as little-endian
    /// F32), nil for an answer the check does not judge.
    func consider(request: Data, receipt: SignedReceipt, answer: @escaping @Sendable () -> [UInt8]?) async
    /// Providers whose checked jobs, pooled, say they cheat in ways one job cannot show; the gateway ranks them low.
    func suspects() async -> Set<Address>
    /// Looks at what became of the challenges the audits raised (called at each refresh of the providers).
    func review() async
}

/// The answer's text, as the provider hashed it into the receipt: the one choice's message content (chat) or text
/// (completion). Nil for what the check does not judge: several choices, tool calls, an answer that does not parse.
public enum AnswerText {
    struct Whole: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                let content: String?
                let toolCalls: [ToolCallStub]?
                enum CodingKeys: String, CodingKey { case content, toolCalls = "tool_calls" }
            }
            let message: Message?
            let text: String?
        }
        let choices: [Choice]
    }

    struct ToolCallStub: Decodable {}

    struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable {
                let content: String?
                let toolCalls: [ToolCallStub]?
                enum CodingKeys: String, CodingKey { case content, toolCalls = "tool_calls" }
            }
            let index: Int?
            let delta: Delta?
            let text: String?
        }
        let choices: [Choice]
    }

    struct Embeddings: Decodable {
        struct Item: Decodable {
            let index: Int
            let embedding: Vector
        }
        /// Floats, or base64 of little-endian F32 (`encoding_format: base64`).
        enum Vector: Decodable {
            case floats([Float])
            case base64(String)
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let floats = try? c.decode([Float].self) { self = .floats(floats) } else { self = .base64(try c.decode(String.self)) }
            }
        }
        let data: [Item]
    }

    /// The vectors of an embeddings answer as the receipt hashes them: little-endian F32, in input order.
    public static func embeddingBytes(_ body: Data) -> [UInt8]? {
        guard let answer = try? JSONDecoder().decode(Embeddings.self, from: body) else { return nil }
        var bytes: [UInt8] = []
        for item in answer.data.sorted(by: { $0.index < $1.index }) {
            switch item.embedding {
            case .floats(let floats):
                for x in floats { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            case .base64(let text):
                guard let data = Data(base64Encoded: text) else { return nil }
                bytes += data
            }
        }
        return bytes
    }

    /// The text of a whole answer.
    public static func whole(_ body: Data) -> String? {
        guard let answer = try? JSONDecoder().decode(Whole.self, from: body), answer.choices.count == 1 else { return nil }
        let choice = answer.choices[0]
        if let message = choice.message {
            guard message.toolCalls == nil else { return nil }
            return message.content ?? ""
        }
        return choice.text
    }

    /// The text of a streamed answer, from its events' data in order.
    static func stream(_ events: [String]) -> String? {
        var s = Stream()
        for data in events { s.add(data) }
        return s.text
    }

    /// Gathers a streamed answer's text, chunk by chunk; `text` is nil once the answer is one the check does not judge.
    struct Stream {
        private(set) var text: String? = ""

        mutating func add(_ data: String) {
            guard text != nil, data != "[DONE]" else { return }
            guard let chunk = try? JSONDecoder().decode(Chunk.self, from: Data(data.utf8)) else { return }
            for choice in chunk.choices {
                if (choice.index ?? 0) != 0 || choice.delta?.toolCalls != nil {
                    text = nil
                    return
                }
                text? += choice.delta?.content ?? choice.text ?? ""
            }
        }
    }
}
