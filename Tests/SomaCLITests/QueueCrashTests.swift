import Foundation
import SomaResources
import Testing
import SomaProtocol

/// kill -9 of a queue process (`soma queue-serve`) under load from several connections: a push acknowledged
/// is never lost (unless a consumer acked it), an ack acknowledged never comes back.
@Suite(.serialized) struct QueueCrashTests {
    /// What the clients were told before the kill.
    final class Record: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var pushed: Set<String> = []
        private(set) var ackSent: Set<String> = []
        private(set) var acked: Set<String> = []

        func add(pushed ids: [String]) { lock.withLock { pushed.formUnion(ids) } }
        func add(ackSent ids: [String]) { lock.withLock { ackSent.formUnion(ids) } }
        func add(acked ids: [String]) { lock.withLock { acked.formUnion(ids) } }
        var all: (pushed: Set<String>, ackSent: Set<String>, acked: Set<String>) {
            lock.withLock { (pushed, ackSent, acked) }
        }
    }

    static func serve(_ data: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(SomaBinary.path))
        process.arguments = ["queue-serve", "--data", data, "--name", "crash", "--visibility-ms", "30000"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func waitForSocket(_ path: String) async throws {
        let client = QueueClient(name: "crash", socketPath: path)
        defer { client.close() }
        for _ in 0..<500 {
            if (try? client.stats()) != nil { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the queue did not answer within 5 s")
    }

    /// Producers push batches of fresh ids and a consumer leases and acks, each remembering what was answered,
    /// until the queue stops answering.
    static func load(_ socketPath: String, round: Int, record: Record) -> [Thread] {
        var threads: [Thread] = []
        for producer in 0..<3 {
            threads.append(Thread {
                let client = QueueClient(name: "crash", socketPath: socketPath)
                defer { client.close() }
                var next = 0
                while true {
                    let ids = (0..<(1 + next % 4)).map { "r\(round)-p\(producer)-\(next + $0)" }
                    next += ids.count
                    do {
                        try client.push(ids.map { QueueMessage(id: $0, version: 1, body: #"{"n":1}"#) })
                    } catch { return }
                    record.add(pushed: ids)
                }
            })
        }
        threads.append(Thread {
            let client = QueueClient(name: "crash", socketPath: socketPath)
            defer { client.close() }
            while true {
                guard let messages = try? client.lease(max: 3, waitMilliseconds: 100) else { return }
                let ids = messages.map(\.id)
                record.add(ackSent: ids)  // from here the ack may be written, answered or not
                guard (try? client.ack(ids)) != nil else { return }
                record.add(acked: ids)
            }
        })
        for thread in threads { thread.start() }
        return threads
    }

    @Test(.timeLimit(.minutes(2))) func killNineLosesNothingAcknowledged() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("soma-queue-crash-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let socketPath = ResourcePaths.queueSocket(in: data)
        let record = Record()
        for round in 0..<4 {
            let server = try Self.serve(data)
            try await Self.waitForSocket(socketPath)
            let threads = Self.load(socketPath, round: round, record: record)
            try await Task.sleep(for: .milliseconds(Int.random(in: 150...400)))
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            while threads.contains(where: { !$0.isFinished }) { try await Task.sleep(for: .milliseconds(10)) }
        }

        // A queue process opens (and so recovers) the file once more and stops; what it kept is read from the
        // file itself, all of it (a loaded machine once let the load run for seconds and store over 80,000
        // messages, more than the queue's `peek` answers with).
        let server = try Self.serve(data)
        try await Self.waitForSocket(socketPath)
        server.terminate()
        server.waitUntilExit()
        let (pushed, ackSent, acked) = record.all
        let store = try QueueStore(path: ResourcePaths.queueDatabase(in: data), options: .init())
        defer { store.close() }
        let stored = Set(try store.peek(belowVersion: 2, limit: pushed.count + 1).map(\.id))
        #expect(pushed.count > 100 && acked.count > 20, "the load kept going: \(pushed.count) pushed, \(acked.count) acked")
        let lost = pushed.subtracting(stored).subtracting(ackSent)
        #expect(lost.isEmpty, "acknowledged pushes lost: \(lost.sorted().prefix(10))")
        let back = acked.intersection(stored)
        #expect(back.isEmpty, "acknowledged acks undone: \(back.sorted().prefix(10))")
    }
}
