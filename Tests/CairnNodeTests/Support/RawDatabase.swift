import GRDB

/// A store's SQLite file opened directly, to read or tamper with it in a test.
enum RawDatabase {
    /// The database at `path`, waiting (up to 30 s) for a connection that holds it for a moment, such as the store's
    /// background checkpoint or the explorer's index writer, rather than failing as busy.
    static func open(_ path: String) throws -> DatabaseQueue {
        var config = Configuration()
        config.busyMode = .timeout(30)
        return try DatabaseQueue(path: path, configuration: config)
    }
}
