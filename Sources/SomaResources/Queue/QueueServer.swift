import Foundation
import NIOCore
import SomaControl

/// Serves a `QueueStore` on a Unix socket private to its user: JSON lines, one reply per request, requests
/// of one connection answered in order. Connections run concurrently, so their writes share group commits.
public struct QueueServer: Sendable {
    public let store: QueueStore
    public let socketPath: String

    public init(store: QueueStore, socketPath: String) {
        self.store = store
        self.socketPath = socketPath
    }

    /// Binds the socket, calls `ready`, and serves until the task is cancelled.
    public func run(ready: @Sendable () -> Void = {}) async throws {
        try await ControlServer.serveLines(at: socketPath, ready: ready) { connection in
            try await serve(connection)
        }
    }

    func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            for try await line in inbound {
                let reply: QueueReply
                if let request = try? JSONDecoder().decode(QueueRequest.self, from: Data(line.readableBytesView)) {
                    reply = await handle(request)
                } else {
                    reply = QueueReply(ok: false, error: "malformed queue request")
                }
                var data = try JSONEncoder().encode(reply)
                data.append(0x0A)
                try await outbound.write(ByteBuffer(bytes: data))
            }
        }
    }

    func handle(_ request: QueueRequest) async -> QueueReply {
        do {
            switch request.op {
            case .push:
                try await store.push(request.messages ?? [])
                return QueueReply()
            case .lease:
                let messages = try await store.lease(max: request.max ?? 1, waitMilliseconds: min(request.waitMilliseconds ?? 0, 30_000))
                return QueueReply(messages: messages)
            case .ack:
                try await store.ack(request.ids ?? [])
                return QueueReply()
            case .nack:
                try await store.nack(request.ids ?? [])
                return QueueReply()
            case .stats:
                return QueueReply(stats: try store.stats())
            case .dead:
                return QueueReply(dead: try store.deadLetters(limit: request.max ?? 20))
            }
        } catch {
            return QueueReply(ok: false, error: "\(error)")
        }
    }
}
