import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import SomaProtocol

/// Serves one of soma's protocols on a Unix socket that only its own user can reach: the socket file is 0600
/// in a 0700 directory, and every connection's peer uid is checked against ours (SO_PEERCRED) before it is
/// read. A connection opens with the client's hello; a client of another protocol or major version is
/// answered with why and closed before its request is read.
public struct ProtocolServer<Request: Decodable & Sendable>: Sendable {
    public typealias Handler = @Sendable (Request, Responder) async -> Void

    public let path: String
    let hello: Hello

    public init(path: String, protocol name: ProtocolName, role: PeerRole) {
        self.path = path
        self.hello = Hello(name, peer: role)
    }

    /// Binds the socket, calls `ready` once it accepts connections, and serves until the task is cancelled.
    public func run(ready: @Sendable () -> Void = {}, handler: @escaping Handler) async throws {
        let hello = hello
        try await PrivateSocket.serveLines(at: path, ready: ready) { connection in
            try await Self.serve(connection, hello: hello, handler: handler)
        }
    }

    static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, hello: Hello, handler: Handler) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            guard let first = try await lines.next() else { return }
            let place = "a client of \(hello.protocol.rawValue)"
            let (greeting, accepted) = Handshake.answer(to: Data(first.readableBytesView), ours: hello, peer: place)
            try await outbound.write(ByteBuffer(bytes: greeting))
            guard accepted, let line = try await lines.next() else { return }
            let responder = Responder(outbound: outbound)
            let request: Request
            do {
                request = try Frame.decode(Request.self, from: Data(line.readableBytesView))
            } catch {
                await responder.fail(.malformed("a request", place: place, error: error))
                return
            }
            await handler(request, responder)
        }
    }
}

public typealias SupervisorServer = ProtocolServer<ControlRequest>
public typealias WorkerServer = ProtocolServer<WorkerRequest>

