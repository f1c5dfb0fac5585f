#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only, memory-mapped file; pointers into it stay valid for the object's lifetime.
///
/// The mapping is immutable after creation, so the object may be shared across threads.
public final class MappedFile: @unchecked Sendable {
    /// The first byte of the mapping (a valid pointer even for an empty file).
    public let base: UnsafeRawPointer
    /// The file's length in bytes.
    public let count: Int
    /// The path the file was opened from.
    public let path: String
    private let mapped: Bool

    /// Maps the file at `path` read-only.
    /// - Throws: ``InferenceError`` with code `.io` if it cannot be opened, inspected or mapped.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw InferenceError(.io, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw InferenceError(.io, "cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw InferenceError(.io, "\(path) is not a regular file")
        }
        count = Int(info.st_size)
        if count == 0 {
            // mmap refuses zero lengths; an empty file still parses (and fails) through the same path.
            base = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64))
            mapped = false
            return
        }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw InferenceError(.io, "cannot map \(path): \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(address)
        mapped = true
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    /// Tells the system that the whole pages inside `byteCount` bytes at `pointer` will not be read again soon,
    /// so they leave this process's resident memory; reading them later pages them back in from the file.
    public func release(_ pointer: UnsafeRawPointer, byteCount: Int) {
        guard mapped, pointer >= base, pointer + byteCount <= base + count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (pointer - base + page - 1) / page * page, end = (pointer - base + byteCount) / page * page
        if end > start { _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED) }
    }

    /// The mapped bytes as a buffer.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
