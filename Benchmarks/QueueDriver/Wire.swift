import NIOCore
import NIOPosix

/// One connection of a driver, as bytes: what is sent goes out as it is, and what comes in is kept until a
/// protocol's parser finds a whole frame in it.
struct Wire {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var buffer = ByteBuffer()

    init(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    func send(_ bytes: ByteBuffer) async throws {
        try await outbound.write(bytes)
    }

    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// The next frame `parse` finds: it reads from a copy and returns nil while the frame is incomplete, so a
    /// partial frame stays in the buffer for the next read.
    mutating func next<Frame>(_ parse: (inout ByteBuffer) throws -> Frame?) async throws -> Frame {
        while true {
            var attempt = buffer
            if let frame = try parse(&attempt) {
                buffer = attempt
                buffer.discardReadBytes()
                return frame
            }
            guard var more = try await inbound.next() else { throw DriverError.closed }
            buffer.writeBuffer(&more)
        }
    }

    static func connect(_ address: Address) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let bootstrap = ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        let wrap: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> = { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
        switch address {
        case .unix(let path): return try await ClientBootstrap(group: NIOSingletons.posixEventLoopGroup).connect(unixDomainSocketPath: path, channelInitializer: wrap)
        case .tcp(let host, let port): return try await bootstrap.connect(host: host, port: port, channelInitializer: wrap)
        }
    }

    enum Address: Sendable {
        case unix(String)
        case tcp(String, Int)
    }
}

enum DriverError: Error, CustomStringConvertible {
    case closed
    case refused(String)

    var description: String {
        switch self {
        case .closed: return "the server closed the connection"
        case .refused(let why): return "the server refused: \(why)"
        }
    }
}

extension ByteBuffer {
    /// The next line ending in `terminator` ("\n" or "\r\n"), without it; nil until a whole one is in.
    mutating func readLine(terminator: String) -> String? {
        let view = readableBytesView
        let last = UInt8(ascii: "\n")
        guard let end = view.firstIndex(of: last) else { return nil }
        // By bytes: "\r\n" is one Character, so dropping characters would take one too many.
        let length = end - view.startIndex + 1 - terminator.utf8.count
        guard length >= 0, let line = readString(length: length) else { return nil }
        moveReaderIndex(forwardBy: terminator.utf8.count)
        return line
    }
}
