import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small persistent thread pool for data-parallel kernels, cheap enough to call a few hundred times per token.
///
/// Decode runs about 130 parallel sections per token, each tens of microseconds long, so the pool keeps its
/// workers spinning briefly between sections (then sleeping on a condition variable) instead of paying a
/// wake-up per call. Work is handed out in chunks from a shared counter, so a core slowed by another process
/// simply takes fewer chunks. The calling thread works too; calls from different threads are serialised.
public final class ComputePool: @unchecked Sendable {
    /// The process-wide pool, sized to the online cores (or `CAIRN_THREADS`).
    public static let shared = ComputePool(threads: ComputePool.defaultThreadCount())

    /// The number of threads that execute chunks, the caller included.
    public let threadCount: Int

    // The job word packs (generation: 16 bits, chunk count: 24 bits, next chunk: 24 bits), so a thread can
    // claim a chunk of the current job with one compare-and-swap and never reads a stale job's state.
    private let job = Atomic<UInt64>(0)
    // Threads between "about to claim" and "done with the claimed chunk"; the caller waits for zero.
    private let inFlight = Atomic<Int>(0)
    private let callerLock = Mutex<Void>(())
    // Written by the caller before `job` is released; read by a worker only after it claims a chunk.
    private var body: ((Int) -> Void)?
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var sleepers = 0  // guarded by `mutex`

    /// Creates a pool with `threads` threads in total (the caller plus `threads - 1` workers).
    public init(threads: Int) {
        threadCount = max(1, threads)
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        for _ in 1..<threadCount {
            let thread = WorkerThread(pool: self)
            thread.start()
        }
    }

    /// Threads to use by default: `CAIRN_THREADS` if set, else the online processor count.
    public static func defaultThreadCount() -> Int {
        if let text = getenv("CAIRN_THREADS").map({ String(cString: $0) }), let n = Int(text), n > 0 { return n }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// Runs `body(chunk)` for every chunk in `0..<chunks`, spread over the pool, and returns when all are done.
    ///
    /// The caller takes chunks too and waits only for chunks a worker has actually claimed, so a worker that
    /// is descheduled (another process busy on the core) delays nothing.
    public func run(chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 0 { return }
        if chunks == 1 || threadCount == 1 {
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        precondition(chunks < 1 << 24, "too many chunks")
        callerLock.withLock { _ in
            withoutActuallyEscaping(body) { escapable in
                self.body = escapable
                let generation = (job.load(ordering: .relaxed) >> 48) &+ 1
                job.store((generation & 0xFFFF) << 48 | UInt64(chunks) << 24, ordering: .releasing)
                pthread_mutex_lock(mutex)
                if sleepers > 0 { pthread_cond_broadcast(condition) }
                pthread_mutex_unlock(mutex)
                while let chunk = claim() { escapable(chunk) }
                while inFlight.load(ordering: .sequentiallyConsistent) != 0 {}
                self.body = nil
            }
        }
    }

    /// Claims the next chunk of the current job, or returns nil when none is left.
    @inline(__always)
    private func claim() -> Int? {
        var word = job.load(ordering: .acquiring)
        while true {
            let count = (word >> 24) & 0xFF_FFFF, next = word & 0xFF_FFFF
            if next >= count { return nil }
            let (exchanged, original) = job.compareExchange(
                expected: word, desired: word + 1, successOrdering: .acquiringAndReleasing, failureOrdering: .acquiring)
            if exchanged { return Int(next) }
            word = original
        }
    }

    fileprivate func workerLoop() {
        var seen = job.load(ordering: .acquiring) >> 48
        while true {
            var spins = 0
            while job.load(ordering: .acquiring) >> 48 == seen {
                spins += 1
                if spins > 100_000 {
                    pthread_mutex_lock(mutex)
                    sleepers += 1
                    while job.load(ordering: .acquiring) >> 48 == seen { pthread_cond_wait(condition, mutex) }
                    sleepers -= 1
                    pthread_mutex_unlock(mutex)
                }
            }
            seen = job.load(ordering: .acquiring) >> 48
            inFlight.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if let first = claim() {
                // Read once per job: each read of the closure retains and releases its context, an atomic
                // operation on a line the caller's thread uses too.
                let work = body!
                var chunk: Int? = first
                while let c = chunk {
                    work(c)
                    chunk = claim()
                }
            }
            inFlight.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        }
    }
}

/// A detached pthread that runs one pool's worker loop for the life of the process.
private final class WorkerThread: @unchecked Sendable {
    private let pool: ComputePool
    init(pool: ComputePool) { self.pool = pool }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let status = pthread_create(&handle, nil, { raw in
            let worker = Unmanaged<WorkerThread>.fromOpaque(raw!).takeRetainedValue()
            worker.pool.workerLoop()
            return nil
        }, context)
        precondition(status == 0, "pthread_create failed: \(status)")
        pthread_detach(handle)
    }
}
