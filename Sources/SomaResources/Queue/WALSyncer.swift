import Foundation
import NIOCore
import NIOPosix

/// Makes a queue's write-ahead log durable on a thread of its own, so the queue's loop goes on reading and
/// committing the next requests while the disk works (SQLite itself commits without syncing). `fdatasync` on
/// any descriptor of a file flushes that file, so the syncer opens the log by its path once SQLite has made it.
final class WALSyncer: Sendable {
    let path: String
    private let descriptor: Int32
    private let pool: NIOThreadPool

    init(walPath: String) throws {
        path = walPath
        descriptor = open(walPath, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ResourceError(code: "queue-open", "cannot open the queue's log \(walPath): \(String(cString: strerror(errno)))")
        }
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    /// Everything written to the log before this call is on disk when the future succeeds (on `eventLoop`).
    func sync(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let descriptor = descriptor
        let path = path
        return pool.runIfActive(eventLoop: eventLoop) {
            try Self.sync(descriptor, path: path)
        }
    }

    /// The same, on the calling thread.
    func syncNow() throws {
        try Self.sync(descriptor, path: path)
    }

    /// For tests: every later sync fails, as on a disk that broke (the log's descriptor becomes a pipe's, which
    /// `fdatasync` refuses).
    func breakForTesting() {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return }
        dup2(pipeEnds[0], descriptor)
        Foundation.close(pipeEnds[0])
        Foundation.close(pipeEnds[1])
    }

    private static func sync(_ descriptor: Int32, path: String) throws {
        while fdatasync(descriptor) != 0 {
            if errno == EINTR { continue }
            throw ResourceError(code: "queue-sync", "cannot make the queue's log \(path) durable: \(String(cString: strerror(errno)))")
        }
    }

    /// Waits for a sync in progress, then lets go of the thread and the descriptor.
    func close() {
        try? pool.syncShutdownGracefully()
        Foundation.close(descriptor)
    }
}
