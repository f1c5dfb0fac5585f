/// An error raised by the inference engine: a stable code, a message for people, and where it was thrown.
///
/// Compare errors on ``code``; the message is free text and may change.
public struct InferenceError: Error, Sendable, CustomStringConvertible {
    /// A stable, opaque category for an ``InferenceError``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// A file could not be opened, read or mapped.
        public static let io = Code("io")
        /// A model file ended before a structure it declares.
        public static let truncated = Code("truncated")
        /// A model file is malformed (bad magic, impossible sizes, inconsistent tables).
        public static let corrupt = Code("corrupt")
        /// The file uses a version or tensor type this engine does not implement.
        public static let unsupported = Code("unsupported")
        /// The model's architecture is not one this engine runs.
        public static let unsupportedArchitecture = Code("unsupported-architecture")
        /// A required metadata key or tensor is absent, or has the wrong type or shape.
        public static let missingField = Code("missing-field")
        /// The requested model is not installed where the engine looked.
        public static let modelNotFound = Code("model-not-found")
        /// A request's parameters are invalid.
        public static let invalidRequest = Code("invalid-request")

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
    public init(
        _ code: Code, _ message: String, cause: (any Error & Sendable)? = nil,
        file: String = #fileID, line: Int = #line
    ) {
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
