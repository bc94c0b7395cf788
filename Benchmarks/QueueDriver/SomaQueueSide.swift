import Foundation
import NIOCore
import SomaProtocol
import SomaResources

/// soma's queue process: its JSON-lines protocol over the Unix socket, with the types the worker's own
/// client sends (`QueueRequest`, `QueueReply`), after the protocol's hello.
struct SomaQueueSide: Producer, Consumer {
    var wire: Wire
    let encoder = JSONEncoder()
    let decoder = JSONDecoder()

    /// Sends the hello and reads the queue's. A queue of soma before protocol versions answers the hello as a
    /// malformed request and reads on, so old and new binaries are measured side by side.
    static func open(_ wire: Wire) async throws -> SomaQueueSide {
        var side = SomaQueueSide(wire: wire)
        try await side.wire.send(ByteBuffer(bytes: try side.encoder.encode(HelloFrame(Hello(.queue, peer: .worker, build: "bench"))) + [0x0A]))
        let greeting = try await side.wire.next { $0.readLine(terminator: "\n") }
        if !greeting.contains("\"hello\""), !greeting.contains("\"ok\":false") { throw DriverError.refused(greeting) }
        return side
    }

    mutating func call(_ request: QueueRequest) async throws -> QueueReply {
        try await wire.send(ByteBuffer(bytes: try encoder.encode(request) + [0x0A]))
        let line = try await wire.next { $0.readLine(terminator: "\n") }
        let reply = try decoder.decode(QueueReply.self, from: Data(line.utf8))
        guard reply.ok else { throw DriverError.refused(reply.error ?? line) }
        return reply
    }

    mutating func push(_ numbers: Range<Int>) async throws {
        _ = try await call(QueueRequest(op: .push, messages: numbers.map { QueueMessage(id: "m\($0)", version: 1, body: Workload.payload) }))
    }

    mutating func take(_ count: Int) async throws -> [String] {
        try await call(QueueRequest(op: .lease, max: count, waitMilliseconds: 500)).messages?.map(\.id) ?? []
    }

    mutating func ack(_ ids: [String]) async throws {
        _ = try await call(QueueRequest(op: .ack, ids: ids))
    }
}
