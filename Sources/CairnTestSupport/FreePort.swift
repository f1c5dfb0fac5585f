import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loopback ports for servers that tests start in this process or in child processes.
///
/// A port picked at random can be in use: outgoing connections take their local ports from the same range
/// (32768 to 60999 on Linux), and parallel tests pick ports too. A port from here was just free (the system
/// gave it to a socket bound to port 0, then closed) and is never given out twice in one test process.
public enum FreePort {
    private static let given = Mutex<Set<Int>>([])

    public struct Exhausted: Error, CustomStringConvertible {
        public var description: String { "no free loopback port found in 100 tries" }
    }

    /// A free port on 127.0.0.1.
    public static func next() throws -> Int {
        for _ in 0..<100 {
            guard let port = bindAny() else { continue }
            let fresh = given.withLock { $0.insert(port).inserted }
            if fresh { return port }
        }
        throw Exhausted()
    }

    /// Binds a socket to 127.0.0.1 port 0 and returns the port the system chose.
    private static func bindAny() -> Int? {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
