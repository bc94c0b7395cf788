import Foundation
import Logging
import SomaControl

/// The life of a queue process: one server per queue folder (held with a file lock), its store, its socket,
/// and a clean stop on SIGTERM or SIGINT (the store commits what is queued and closes). `soma queue-serve` is
/// only its command line.
public enum QueueProcess {
    /// Serves until a stop signal; the exit code: 0 after a clean stop, 1 when it cannot serve.
    public static func run(data: String, name: String, options: QueueStore.Options) async -> Int32 {
        let logger = Logger(label: "queue")
        // A second server would answer on the same socket with the same file.
        guard let lock = FileLock(path: (data as NSString).appendingPathComponent("queue.lock")) else {
            logger.error("queue '\(name)' is already served")
            return 1
        }
        defer { withExtendedLifetime(lock) {} }
        let store: QueueStore
        do {
            store = try QueueStore(path: ResourcePaths.queueDatabase(in: data), options: options)
        } catch {
            logger.error("\(error)")
            return 1
        }
        store.onFatalError = { error in
            Logger(label: "queue").critical("queue '\(name)' stops: \(error)")
            Foundation.exit(1)
        }
        let server = QueueServer(store: store, socketPath: ResourcePaths.queueSocket(in: data))
        let serving = Task { try await server.run() }
        let (stop, continuation) = AsyncStream<Void>.makeStream()
        let sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
        logger.info("serving queue '\(name)' pid=\(getpid())")
        for await _ in stop { break }
        sources.forEach { $0.cancel() }
        serving.cancel()
        store.close()
        logger.info("queue '\(name)' stopped")
        return 0
    }
}
