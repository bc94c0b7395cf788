import Foundation
import SomaControl
import SomaResources
import Testing

/// The queue process's protocol over a real Unix socket: what a client sends, what it gets back.
@Suite struct QueueServerTests {
    struct Served {
        let store: QueueStore
        let socketPath: String
        let serving: Task<Void, any Error>

        func stop() {
            serving.cancel()
            store.close()
        }
    }

    func serve() async throws -> Served {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soma-qs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = try QueueStore(path: ResourcePaths.queueDatabase(in: folder), options: .init())
        let socketPath = ResourcePaths.queueSocket(in: folder)
        let (ready, signal) = AsyncStream<Void>.makeStream()
        let serving = Task { try await QueueServer(store: store, socketPath: socketPath).run { signal.yield() } }
        for await _ in ready { break }
        return Served(store: store, socketPath: socketPath, serving: serving)
    }

    @Test func aMalformedLineIsRefusedAndTheConnectionGoesOn() async throws {
        let served = try await serve()
        defer { served.stop() }
        let socket = LineSocket(path: served.socketPath, timeoutSeconds: 5)
        defer { socket.close() }
        for garbage in ["not json", #"{"op":"explode"}"#, #"{"op":"push","messages":"nope"}"#] {
            let reply = try JSONDecoder().decode(QueueReply.self, from: try socket.exchange(Data(garbage.utf8)))
            #expect(!reply.ok && reply.error == "malformed queue request", "\(garbage)")
        }
        let client = QueueClient(name: "q", socketPath: served.socketPath)
        defer { client.close() }
        try client.push([QueueMessage(id: "a", version: 1, body: "{}")])
        #expect(try client.stats().size == 1, "nothing the garbage said was stored; what came after was")
    }

    @Test func aWaitingLeaseIsAnsweredByAPushFromAnotherConnection() async throws {
        let served = try await serve()
        defer { served.stop() }
        let consumer = QueueClient(name: "q", socketPath: served.socketPath)
        let producer = QueueClient(name: "q", socketPath: served.socketPath)
        defer { consumer.close(); producer.close() }
        async let leased = Task.detached { try consumer.lease(max: 1, waitMilliseconds: 30_000) }.value
        try await Task.sleep(for: .milliseconds(50))
        try producer.push([QueueMessage(id: "late", version: 1, body: "{}")])
        #expect(try await leased.map(\.id) == ["late"])
        #expect(try producer.stats().inFlight == 1)
    }
}
