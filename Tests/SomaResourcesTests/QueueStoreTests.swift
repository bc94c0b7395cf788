import Foundation
import GRDB
@testable import SomaResources
import Synchronization
import Testing
import SomaProtocol

@Suite struct QueueStoreTests {
    func store(maxAttempts: Int = 5, visibility: Int = 30_000) throws -> (QueueStore, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soma-queue-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = ResourcePaths.queueDatabase(in: folder)
        return (try QueueStore(path: path, options: .init(maxAttempts: maxAttempts, visibilityMilliseconds: visibility)), path)
    }

    func message(_ id: String) -> QueueMessage { QueueMessage(id: id, version: 1, body: "{\"id\":\"\(id)\"}") }

    @Test func deliversInOrderAndForgetsWhatIsAcked() async throws {
        let (queue, _) = try store()
        defer { queue.close() }
        try await queue.push([message("a"), message("b"), message("c")])
        try await queue.push([message("a")])  // the same id again is not a second message
        #expect(try queue.stats().size == 3)
        let first = try await queue.lease(max: 2, waitMilliseconds: 0)
        #expect(first.map(\.id) == ["a", "b"] && first.allSatisfy { $0.attempt == 1 })
        #expect(try queue.stats().inFlight == 2)
        try await queue.ack(["a", "b"])
        let rest = try await queue.lease(max: 10, waitMilliseconds: 0)
        #expect(rest.map(\.id) == ["c"])
        try await queue.ack(["c"])
        #expect(try queue.stats().size == 0)
    }

    @Test func aWaitingLeaseGetsTheNextPush() async throws {
        let (queue, _) = try store()
        defer { queue.close() }
        async let leased = queue.lease(max: 1, waitMilliseconds: 5_000)
        try await Task.sleep(for: .milliseconds(50))
        try await queue.push([message("late")])
        #expect(try await leased.map(\.id) == ["late"])
    }

    @Test func redeliversAfterTheVisibilityTimeoutThenDeadLetters() async throws {
        let (queue, _) = try store(maxAttempts: 2, visibility: 1_000)
        defer { queue.close() }
        try await queue.push([message("x")])
        let firstLeased = ContinuousClock.now
        #expect(try await queue.lease(max: 1, waitMilliseconds: 0).first?.attempt == 1)
        let meanwhile = try await queue.lease(max: 1, waitMilliseconds: 0)
        // Hidden while being consumed. A loaded machine can leave this task unscheduled past the visibility
        // timeout (it once took over a second here): then the message is rightly visible again.
        if ContinuousClock.now - firstLeased < .milliseconds(1_000) { #expect(meanwhile.isEmpty) }
        let again = meanwhile.isEmpty ? try await queue.lease(max: 1, waitMilliseconds: 10_000) : meanwhile
        #expect(again.first?.id == "x" && again.first?.attempt == 2)
        try await queue.nack(["x"])
        #expect(try await queue.lease(max: 1, waitMilliseconds: 100).isEmpty)  // two attempts used: dead
        let stats = try queue.stats()
        #expect(stats.size == 0 && stats.dead == 1)
        #expect(try queue.deadLetters(limit: 5).map(\.id) == ["x"])
    }

    /// A failed attempt waits out a backoff that doubles (base 200 ms, half of it random), keeps its error, and
    /// the dead letter carries the last one; replay sends dead letters back with their attempts counted anew.
    @Test func failedAttemptsBackOffKeepTheirErrorAndCanBeReplayed() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soma-queue-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let queue = try QueueStore(path: ResourcePaths.queueDatabase(in: folder),
                                   options: .init(maxAttempts: 3, visibilityMilliseconds: 30_000, retryBaseMilliseconds: 200, retryCapMilliseconds: 300))
        defer { queue.close() }
        try await queue.push([message("x"), message("y")])
        #expect(try await queue.lease(max: 1, waitMilliseconds: 0).map(\.id) == ["x"])
        var failed = ContinuousClock.now
        try await queue.nack([(id: "x", error: "json-shape: data.n: expected Int, got String")])
        // Not at once: y comes first, and x only after its backoff (100 to 200 ms).
        #expect(try await queue.lease(max: 2, waitMilliseconds: 0).map(\.id) == ["y"])
        let second = try await queue.lease(max: 1, waitMilliseconds: 2_000)
        #expect(second.first?.id == "x" && second.first?.attempt == 2)
        #expect(ContinuousClock.now - failed >= .milliseconds(95), "the retry waited")
        failed = ContinuousClock.now
        try await queue.nack([(id: "x", error: "second failure")])
        let third = try await queue.lease(max: 1, waitMilliseconds: 2_000)
        #expect(third.first?.attempt == 3 && ContinuousClock.now - failed >= .milliseconds(145), "capped at 300: 150 to 300 ms")
        try await queue.nack([(id: "x", error: "third failure")])
        #expect(try await queue.lease(max: 1, waitMilliseconds: 1_000).isEmpty)  // three attempts used: dead
        let dead = try queue.deadLetters(limit: 5)
        #expect(dead.map(\.id) == ["x"] && dead.first?.lastError == "third failure" && dead.first?.attempts == 3)

        #expect(try await queue.replay(["nope"]).isEmpty)
        #expect(try await queue.replay(nil).map(\.id) == ["x"])
        #expect(try queue.stats().dead == 0)
        let back = try await queue.lease(max: 2, waitMilliseconds: 0)
        #expect(back.map(\.id) == ["x"] && back.first?.attempt == 1, "replayed with its attempts counted anew")
    }

    @Test func aLeaseFindsWhatComesBackBehindTheMessagesInFlight() async throws {
        let (queue, _) = try store()
        defer { queue.close() }
        try await queue.push([message("a"), message("b"), message("c")])
        #expect(try await queue.lease(max: 3, waitMilliseconds: 0).map(\.id) == ["a", "b", "c"])
        // A nack makes a message the lease walked past visible again.
        try await queue.nack(["b"])
        #expect(try await queue.lease(max: 3, waitMilliseconds: 0).map(\.id) == ["b"])
        // With every message gone, a push may take a number below those leased before: it is found.
        try await queue.ack(["a", "b", "c"])
        try await queue.push([message("d")])
        #expect(try await queue.lease(max: 3, waitMilliseconds: 0).map(\.id) == ["d"])
        try await queue.push([message("e")])
        #expect(try await queue.lease(max: 3, waitMilliseconds: 0).map(\.id) == ["e"])
    }

    @Test func aSyncThatFailsIsAnsweredWithItsErrorAndStopsTheQueue() async throws {
        let (queue, _) = try store()
        defer { queue.close() }
        let fatal = Mutex<String?>(nil)
        queue.onFatalError = { error in fatal.withLock { $0 = "\(error)" } }
        try await queue.push([message("kept")])
        queue.syncer.breakForTesting()
        do {
            try await queue.push([message("not-durable")])
            Issue.record("a push was acknowledged without a sync")
        } catch let error as ResourceError {
            #expect(error.code == "queue-sync", "\(error)")
        }
        // The waiting clients are answered first, then the process is told to go.
        for _ in 0..<200 where fatal.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        #expect(fatal.withLock { $0 }?.contains("cannot make the queue's log") == true)
        // Nothing more is taken: the process is to exit and a new one to recover the file.
        await #expect(throws: ResourceError.self) { try await queue.lease(max: 1, waitMilliseconds: 0) }
    }

    @Test func whatWasAcknowledgedSurvivesReopening() async throws {
        let (queue, path) = try store()
        try await queue.push([message("kept")])
        _ = try await queue.lease(max: 1, waitMilliseconds: 0)
        queue.close()
        let reopened = try QueueStore(path: path, options: .init(maxAttempts: 5, visibilityMilliseconds: 30_000))
        defer { reopened.close() }
        let stats = try reopened.stats()
        #expect(stats.size == 1 && stats.inFlight == 1)
    }

    @Test func aQueueFileFromTheFirstLayoutKeepsItsMessages() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soma-queue-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = ResourcePaths.queueDatabase(in: folder)
        // The first layout, as queues made before the second migration have it: two messages, one dead letter.
        let old = try DatabaseQueue(path: path)
        try await old.write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('1-messages');
                CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL,
                  body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, visible_at INTEGER NOT NULL DEFAULT 0, pushed_at INTEGER NOT NULL);
                CREATE INDEX messages_visible ON messages (visible_at, seq);
                CREATE TABLE dead_letters (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
                  attempts INTEGER NOT NULL, died_at TEXT NOT NULL);
                INSERT INTO messages (id, version, body, attempts, pushed_at) VALUES ('first', 1, '{}', 2, 0), ('second', 2, '{}', 0, 0);
                INSERT INTO dead_letters VALUES (7, 'gone', 1, '{}', 5, '2026-01-01T00:00:00Z');
                """)
        }
        try old.close()
        let queue = try QueueStore(path: path, options: .init(maxAttempts: 2, visibilityMilliseconds: 30_000))
        defer { queue.close() }
        let leased = try await queue.lease(max: 5, waitMilliseconds: 0)
        #expect(leased.map(\.id) == ["second"] && leased.first?.version == 2)  // "first" had used its attempts
        #expect(try queue.deadLetters(limit: 5).map(\.id) == ["first", "gone"])
        try await queue.push([message("third")])
        try await queue.ack(["second"])
        #expect(try await queue.lease(max: 5, waitMilliseconds: 0).map(\.id) == ["third"])
    }
}
