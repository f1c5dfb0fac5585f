/// A failure of the gateway itself (configuration, storage, the chain), with a message that says what to do.
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
