public import Foundation

extension NodeClient {
    /// Like ``get(_:as:)``, but nil when the node answers 404.
    public func getIfPresent<T: Decodable>(_ path: String, as type: T.Type) async throws(ClientError) -> T? {
        do {
            return try await request(path, as: type)
        } catch where error.status == 404 {
            return nil
        }
    }
}
