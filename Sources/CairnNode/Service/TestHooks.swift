import Foundation

/// Faults a test can ask a node process for through its environment. Each is refused unless
/// `CAIRN_ENABLE_TEST_HOOKS=1` is set too, so a normal run can never switch one on by a stray variable.
public struct TestHooks: Sendable, Equatable {
    /// `CAIRN_TEST_EXIT_AFTER_LOGGED_MESSAGES=N`: exit right after logging the Nth own consensus message, before
    /// sending it (the crash between the log and the network).
    public var exitAfterLoggedMessages: Int?
    /// `CAIRN_TEST_CLOCK_OFFSET_MS=D`: the node's clock (block times it proposes) runs D milliseconds off, either way.
    public var clockOffsetMilliseconds: Int64 = 0
    /// `CAIRN_TEST_BYZANTINE=equivocate`: the validator signs a second, conflicting vote at every step and sends both.
    public var equivocate = false

    public static let enableVariable = "CAIRN_ENABLE_TEST_HOOKS"
    public static let crashVariable = "CAIRN_TEST_EXIT_AFTER_LOGGED_MESSAGES"
    public static let clockOffsetVariable = "CAIRN_TEST_CLOCK_OFFSET_MS"
    public static let byzantineVariable = "CAIRN_TEST_BYZANTINE"

    public init() {}

    /// The hooks `environment` asks for.
    ///
    /// - Throws: `NodeHomeError` for a hook without `CAIRN_ENABLE_TEST_HOOKS=1`, or a value that does not parse.
    public init(environment: [String: String]) throws {
        let asked = [Self.crashVariable, Self.clockOffsetVariable, Self.byzantineVariable].filter { environment[$0] != nil }
        guard !asked.isEmpty else { return }
        guard environment[Self.enableVariable] == "1" else {
            throw NodeHomeError("\(asked.joined(separator: ", ")): test-only fault, refused unless \(Self.enableVariable)=1")
        }
        if let value = environment[Self.crashVariable] {
            guard let n = Int(value), n >= 1 else { throw NodeHomeError("\(Self.crashVariable) must be a count of at least 1, not '\(value)'") }
            exitAfterLoggedMessages = n
        }
        if let value = environment[Self.clockOffsetVariable] {
            guard let d = Int64(value), d.magnitude <= 365 * 86_400_000 else {
                throw NodeHomeError("\(Self.clockOffsetVariable) must be milliseconds within a year either way, not '\(value)'")
            }
            clockOffsetMilliseconds = d
        }
        if let value = environment[Self.byzantineVariable] {
            guard value == "equivocate" else { throw NodeHomeError("\(Self.byzantineVariable) knows only 'equivocate', not '\(value)'") }
            equivocate = true
        }
    }

    /// The hooks of this process's environment.
    public static func fromProcess() throws -> TestHooks { try TestHooks(environment: ProcessInfo.processInfo.environment) }
}
