public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call that failed: what was attempted and the `errno` it left.
public struct SystemCallError: Error, CustomStringConvertible {
    public let operation: String
    public let errno: Int32

    public init(_ operation: String, _ errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// The POSIX calls behind the write-ahead log, the sign guard and key files: whole reads and writes, and the syncs that make a
/// write survive a power cut (the file's data, then the folder entry that names it).
public enum DurableFile {
    public static func open(_ path: String, _ flags: Int32, mode: mode_t) throws(SystemCallError) -> Int32 {
        while true {
            let fd = systemOpen(path, flags, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw SystemCallError("open \(path)", errno) }
        }
    }

    public static func close(_ fd: Int32) {
        // Retrying close after EINTR is wrong on Linux (the descriptor is already gone), so any result is final.
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    public static func read(_ fd: Int32, count: Int, at offset: Int64, path: String) throws(SystemCallError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("read \(path)", errno)
            }
            if n == 0 { break }
            done += n
        }
        bytes.removeLast(count - done)
        return bytes
    }

    /// Writes all of `bytes` at `offset`, resuming after short writes.
    public static func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int64, path: String) throws(SystemCallError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("write \(path)", errno)
            }
            done += n
        }
    }

    public static func sync(_ fd: Int32, path: String) throws(SystemCallError) {
        while fsync(fd) != 0 {
            if errno != EINTR { throw SystemCallError("fsync \(path)", errno) }
        }
    }

    /// Makes the folder's entries for `path` durable: a created or renamed file is not, until its folder is synced.
    public static func syncFolder(of path: String) throws(SystemCallError) {
        let folder = parentFolder(of: path)
        let fd = try open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC, mode: 0)
        defer { close(fd) }
        try sync(fd, path: folder)
    }

    /// Creates the folder that holds `path`, and its missing ancestors.
    public static func createParentFolder(of path: String) throws(SystemCallError) {
        try createFolder(parentFolder(of: path))
    }

    private static func createFolder(_ folder: String) throws(SystemCallError) {
        if mkdir(folder, 0o755) == 0 { return }
        let failure = errno
        if failure == EEXIST { return }
        let parent = parentFolder(of: folder)
        guard failure == ENOENT, parent != folder else { throw SystemCallError("mkdir \(folder)", failure) }
        try createFolder(parent)
        if mkdir(folder, 0o755) != 0 && errno != EEXIST { throw SystemCallError("mkdir \(folder)", errno) }
    }

    /// Replaces the file at `path` with `bytes` atomically: a temporary file beside it is written and synced, then
    /// renamed over it, and the folder synced, so a crash leaves the old contents or the new, never a mix.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t) throws(SystemCallError) {
        let temporary = path + ".tmp"
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: mode)
        // The mode given to open passes through the umask, and an old temporary file keeps its own: make it exact.
        fchmod(fd, mode)
        do {
            try write(fd, bytes, at: 0, path: temporary)
            try sync(fd, path: temporary)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw SystemCallError("rename \(temporary) to \(path)", errno) }
        try syncFolder(of: path)
    }

    /// Reads the whole file at `path`, or returns nil when there is none.
    public static func readIfPresent(_ path: String) throws(SystemCallError) -> [UInt8]? {
        let fd: Int32
        do {
            fd = try open(path, O_RDONLY | O_CLOEXEC, mode: 0)
        } catch {
            if error.errno == ENOENT { return nil }
            throw error
        }
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0 else { throw SystemCallError("lseek \(path)", errno) }
        return try read(fd, count: Int(size), at: 0, path: path)
    }

    public static func parentFolder(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    public static func appendBigEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// The big-endian `UInt32` at `offset`; the caller has checked that four bytes are there.
    public static func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// The C `open`, which a type's own `open` method would otherwise shadow.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    #if canImport(Glibc)
    Glibc.open(path, flags, mode)
    #else
    Darwin.open(path, flags, mode)
    #endif
}
