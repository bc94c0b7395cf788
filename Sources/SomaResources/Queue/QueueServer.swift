import Foundation
import NIOCore
import SomaControl
import SomaProtocol

/// Serves a `QueueStore` on a Unix socket private to its user: JSON lines, a hello first, then one reply per
/// request, requests of one connection answered in order. Connections are served on the store's own loop, so the requests of
/// all of them that arrive together share one group commit.
public struct QueueServer: Sendable {
    public let store: QueueStore
    public let socketPath: String

    public init(store: QueueStore, socketPath: String) {
        self.store = store
        self.socketPath = socketPath
    }

    /// Binds the socket, calls `ready`, and serves until the task is cancelled.
    public func run(ready: @Sendable () -> Void = {}) async throws {
        let store = store
        try await PrivateSocket.serveLines(at: socketPath, on: store.eventLoop, ready: ready) { QueueConnectionHandler(store: store) }
    }
}

/// One connection, on the store's loop: a request goes to the store, which answers it on the same loop once
/// its group is committed. One request at a time, so answers keep the requests' order (a lease waiting for a
/// push does not let a later request of the same connection overtake it).
final class QueueConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let store: QueueStore
    private let decoder = JSONDecoder()
    private let encoder = JSONEncoder()
    private var waiting: [ByteBuffer] = []
    private var busy = false
    /// Whether the client's hello was accepted: its first line is nothing else.
    private var greeted = false
    static let hello = Hello(.queue, peer: .queue)

    init(store: QueueStore) {
        self.store = store
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard greeted else {
            let line = unwrapInboundIn(data)
            let answer = Handshake.answer(to: Data(line.readableBytesView), ours: Self.hello, peer: "a client of the queue")
            let (greeting, accepted) = (answer.frame, answer.accepted)
            var buffer = context.channel.allocator.buffer(capacity: greeting.count)
            buffer.writeBytes(greeting)
            greeted = accepted
            let written = context.writeAndFlush(wrapOutboundOut(buffer))
            if !accepted {
                // Refused: closed once the refusal is out, so the client reads why.
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                written.whenComplete { _ in bound.value.close(promise: nil) }
            }
            return
        }
        waiting.append(unwrapInboundIn(data))
        if !busy { next(context: context) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func next(context: ChannelHandlerContext) {
        guard !waiting.isEmpty else {
            busy = false
            return
        }
        busy = true
        let line = waiting.removeFirst()
        guard let request = try? decoder.decode(QueueRequest.self, from: line) else {
            answer(QueueReply(ok: false, error: "malformed queue request"), context: context)
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        store.handle(request) { reply in
            if bound.eventLoop.inEventLoop {
                bound.value.0.answer(reply, context: bound.value.1)
            } else {
                bound.eventLoop.execute { bound.value.0.answer(reply, context: bound.value.1) }
            }
        }
    }

    private func answer(_ reply: QueueReply, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 256)
        if let data = try? encoder.encode(reply) {
            buffer.writeBytes(data)
        } else {
            buffer.writeString(#"{"ok":false,"error":"the reply could not be encoded"}"#)
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        next(context: context)
    }
}

extension QueueStore {
    /// Carries out one protocol request; `reply` is called once, on the queue's loop.
    func handle(_ request: QueueRequest, reply: @escaping @Sendable (QueueReply) -> Void) {
        @Sendable func answered(_ result: Result<[QueueMessage], any Error>, messages: Bool) {
            switch result {
            case .success(let leased): reply(messages ? QueueReply(messages: leased) : QueueReply())
            case .failure(let error): reply(QueueReply(ok: false, error: "\(error)"))
            }
        }
        switch request.op {
        case .push:
            submit(.push(request.messages ?? [])) { answered($0, messages: false) }
        case .lease:
            let wait = min(max(request.waitMilliseconds ?? 0, 0), 30_000)
            submit(.lease(max: max(1, request.max ?? 1), deadline: Self.nowMilliseconds() + UInt64(wait))) { answered($0, messages: true) }
        case .ack:
            submit(.ack(request.ids ?? [])) { answered($0, messages: false) }
        case .nack:
            let ids = request.ids ?? [], errors = request.errors ?? []
            submit(.nack(ids.enumerated().map { ($1, $0 < errors.count ? errors[$0] : "") })) { answered($0, messages: false) }
        case .replay:
            submit(.replay(request.ids)) { answered($0, messages: true) }
        case .stats:
            do { reply(QueueReply(stats: try stats())) } catch { reply(QueueReply(ok: false, error: "\(error)")) }
        case .dead:
            do { reply(QueueReply(dead: try deadLetters(limit: request.max ?? 20))) } catch { reply(QueueReply(ok: false, error: "\(error)")) }
        case .peek:
            do {
                reply(QueueReply(messages: try peek(belowVersion: request.version ?? 0, limit: min(max(request.max ?? 100, 1), 10_000))))
            } catch {
                reply(QueueReply(ok: false, error: "\(error)"))
            }
        }
    }
}
