import Testing
import Foundation
import Hummingbird
import CairnTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The way tests stop their loopback servers. Cancelling the task that runs a Hummingbird server while clients
/// connect traps in SwiftNIO ("Deinited NIOAsyncWriter without calling finish()") and ends the test process;
/// a graceful stop serves what was accepted and then closes.
@Suite struct GracefulTaskTests {
    /// Opens and closes TCP connections to `port` until `deadline`; how many were accepted.
    static func connectRepeatedly(port: Int, until deadline: ContinuousClock.Instant) -> Int {
        var accepted = 0
        while ContinuousClock.now < deadline {
            if Self.accepts(port: port) { accepted += 1 }
        }
        return accepted
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        // A connection the full backlog of a stopping server drops would otherwise wait a second for the retry.
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    @Test func aServerStoppedWhileClientsConnectStopsCleanlyAndRefusesAfterwards() async throws {
        var accepted = 0
        for _ in 0..<40 {
            let router = Router()
            router.get("/") { _, _ in "ok" }
            let (port, task) = try await LoopbackServer.start(router)
            // Clients keep connecting from another thread while the server stops.
            let stopAt = ContinuousClock.now + .milliseconds(20)
            let (done, finished) = AsyncStream<Int>.makeStream()
            Thread.detachNewThread {
                finished.yield(Self.connectRepeatedly(port: port, until: stopAt + .milliseconds(20)))
                finished.finish()
            }
            try await Task.sleep(until: stopAt)
            let error = await task.stop()
            #expect(error == nil, "\(String(describing: error))")
            #expect(!Self.accepts(port: port), "the port still accepts connections after the stop")
            for await n in done { accepted += n }
        }
        #expect(accepted > 0, "no connection reached the servers before they stopped")
    }

    @Test func workThatIgnoresTheShutdownIsCancelledAfterThePatience() async {
        let started = ContinuousClock.now
        // Only cancellation ends the sleep early, so the error shows the work was cancelled; the time only shows that the
        // stop did not wait for the work (a loaded machine has taken over 10 s to run the 200 ms patience out).
        let task = GracefulTask(patience: .milliseconds(200)) { try await Task.sleep(for: .seconds(3600)) }
        let error = await task.stop()
        #expect(error is CancellationError, "\(String(describing: error))")
        #expect(ContinuousClock.now - started < .seconds(600))
    }
}
