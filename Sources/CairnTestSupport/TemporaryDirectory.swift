public import Foundation

/// A fresh folder under the system's temporary directory, removed when the last reference goes away.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    /// Creates `<tmp>/cairn-test-<uuid>`.
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
