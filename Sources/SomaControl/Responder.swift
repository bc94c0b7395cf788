import NIOCore
import SomaProtocol

/// Where a handler writes its reply: the request's reply type, or why it failed.
public struct Responder: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    @discardableResult
    public func reply<Reply: Codable & Sendable>(_ reply: Reply) async -> Bool {
        await write(ReplyFrame.reply(reply))
    }

    @discardableResult
    public func fail(_ failure: ProtocolFailure) async -> Bool {
        await write(ReplyFrame<Done>.failure(failure))
    }

    /// The reply, or why there is none.
    @discardableResult
    public func answer<Reply: Codable & Sendable>(_ result: Result<Reply, ProtocolFailure>) async -> Bool {
        switch result {
        case .success(let reply): await self.reply(reply)
        case .failure(let failure): await fail(failure)
        }
    }

    private func write<Reply: Codable & Sendable>(_ frame: ReplyFrame<Reply>) async -> Bool {
        guard let data = try? Frame.encode(frame) else { return false }
        do {
            try await outbound.write(ByteBuffer(bytes: data))
            return true
        } catch {
            return false
        }
    }
}

