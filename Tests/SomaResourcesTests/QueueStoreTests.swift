import Foundation
import SomaResources
import Testing

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
        let (queue, _) = try store(maxAttempts: 2, visibility: 50)
        defer { queue.close() }
        try await queue.push([message("x")])
        #expect(try await queue.lease(max: 1, waitMilliseconds: 0).first?.attempt == 1)
        #expect(try await queue.lease(max: 1, waitMilliseconds: 0).isEmpty)  // hidden while being consumed
        let again = try await queue.lease(max: 1, waitMilliseconds: 2_000)
        #expect(again.first?.id == "x" && again.first?.attempt == 2)
        try await queue.nack(["x"])
        #expect(try await queue.lease(max: 1, waitMilliseconds: 100).isEmpty)  // two attempts used: dead
        let stats = try queue.stats()
        #expect(stats.size == 0 && stats.dead == 1)
        #expect(try queue.deadLetters(limit: 5).map(\.id) == ["x"])
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
}
