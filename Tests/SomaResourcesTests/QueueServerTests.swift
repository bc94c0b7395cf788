import Foundation
import SomaControl
import SomaProtocol
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
        let socket = LineSocket(path: served.socketPath, timeoutSeconds: 5, hello: Hello(.queue, peer: .worker), server: .queue)
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

    @Test func aClientOfAnotherVersionOrNoHelloIsRefusedBeforeItsRequestIsRead() async throws {
        let served = try await serve()
        defer { served.stop() }
        let older = LineSocket(path: served.socketPath, timeoutSeconds: 5,
                               hello: Hello(.queue, peer: .worker, version: ProtocolVersion(major: 1, minor: 4), build: "0.0.9"), server: .queue)
        defer { older.close() }
        #expect {
            try older.connect()
        } throws: { error in
            guard let failure = error as? ProtocolFailure, failure.code == "protocol-version" else { return false }
            return failure.message.contains("1.4") && failure.message.contains("2.0") && failure.message.contains("0.0.9")
        }
        // A client of the protocol before versions sends its request first: it is not carried out.
        let bare = LineSocket(path: served.socketPath, timeoutSeconds: 5, hello: nil, server: .queue)
        defer { bare.close() }
        let answer = try socketAnswer(bare, #"{"op":"push","messages":[{"id":"x","version":1,"body":"{}"}]}"#)
        #expect(answer.contains("protocol-malformed") && answer.contains("hello"), "\(answer)")
        let client = QueueClient(name: "q", socketPath: served.socketPath)
        defer { client.close() }
        #expect(try client.stats().size == 0, "the push sent without a hello was not stored")
    }

    func socketAnswer(_ socket: LineSocket, _ line: String) throws -> String {
        String(decoding: try socket.exchange(Data(line.utf8)), as: UTF8.self)
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
