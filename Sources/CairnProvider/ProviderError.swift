/// A failure of the provider agent: a stable code, a message for people, an optional cause and where it was thrown.
///
/// Compare on ``code``; the message is free text and may change.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    /// A stable, opaque category of ``ProviderError``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The provider's configuration is invalid (options, prices, model list).
        public static let configuration = Code("configuration")
        /// A model is not registered on the chain, or its weights differ from the registered hash.
        public static let unregisteredModel = Code("unregistered-model")
        /// The node refused or failed a request, or answered something unexpected.
        public static let node = Code("node")
        /// The external inference server failed or answered something unexpected.
        public static let backend = Code("backend")
        /// A request to a backend is invalid (bad parameters, a prompt beyond the context).
        public static let invalidRequest = Code("invalid-request")
        /// A prompt does not fit the model's context.
        public static let contextLengthExceeded = Code("context-length-exceeded")
        /// The voucher store cannot be opened, read or written.
        public static let storage = Code("storage")
        /// A row of the voucher store does not decode.
        public static let corruptStore = Code("corrupt-store")
        /// A file (model weights) cannot be read.
        public static let io = Code("io")

        public var description: String { name }
    }

    /// The error's stable category.
    public let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The underlying error, if this one wraps another.
    public let cause: (any Error & Sendable)?
    /// The source file that threw.
    public let file: String
    /// The source line that threw.
    public let line: Int

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.cause = cause
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let cause { text += " (cause: \(cause))" }
        return text
    }
}
