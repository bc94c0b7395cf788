import Foundation
import NIOCore
import NIOExtras
import NIOPosix

/// Talks to a control socket: one request, then the replies as they come.
public struct ControlClient: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Sends the request and hands each reply to `onReply` until the server closes or `onReply` returns false.
    public func request(_ request: ControlRequest, onReply: (ControlReply) async throws -> Bool) async throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ControlError.unreachable(path: path, reason: "no socket")
        }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
                .connect(unixDomainSocketPath: path) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ControlError.unreachable(path: path, reason: "\(error)")
        }
        try await channel.executeThenClose { inbound, outbound in
            var data = try JSONEncoder().encode(request)
            data.append(0x0A)
            try await outbound.write(ByteBuffer(bytes: data))
            for try await line in inbound {
                guard let reply = try? JSONDecoder().decode(ControlReply.self, from: Data(line.readableBytesView)) else {
                    throw ControlError.malformedReply(String(buffer: line))
                }
                if !(try await onReply(reply)) { return }
            }
        }
    }

    /// One request, one reply, within `timeout`: a process that accepts and never answers cannot hang the caller.
    public func call(_ request: ControlRequest, timeout: Duration = .seconds(10)) async throws -> ControlReply {
        try await withThrowingTaskGroup(of: ControlReply.self) { group in
            group.addTask { try await self.firstReply(to: request) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ControlError.unreachable(path: path, reason: "no answer within \(timeout)")
            }
            defer { group.cancelAll() }
            guard let reply = try await group.next() else { throw ControlError.malformedReply("no answer") }
            return reply
        }
    }

    func firstReply(to request: ControlRequest) async throws -> ControlReply {
        var first: ControlReply?
        try await self.request(request) { reply in
            first = reply
            return false
        }
        guard let first else { throw ControlError.malformedReply("the server closed without answering") }
        return first
    }
}
