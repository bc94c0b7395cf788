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

    /// The reply of `work`, or the `ProtocolFailure` it threw (handlers throw nothing else; any other error
    /// is answered as `internal`, with its description). The work runs where the caller is isolated (the
    /// supervisor's actor), so it may use the caller's state as it is.
    @discardableResult
    public func answer<Reply: Codable & Sendable>(isolation: isolated (any Actor)? = #isolation,
                                                  _ work: () async throws -> Reply) async -> Bool {
        do {
            return await reply(try await work())
        } catch let failure as ProtocolFailure {
            return await fail(failure)
        } catch {
            return await fail(ProtocolFailure(code: "internal", "\(error)"))
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

