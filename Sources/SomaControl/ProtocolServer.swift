import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import SomaProtocol

/// Serves one of soma's protocols, on one of two transports:
/// - a Unix socket that only its own user can reach: the socket file is 0600 in a 0700 directory, and every
///   connection's peer uid is checked against ours (SO_PEERCRED) before it is read;
/// - TCP with TLS 1.3, presenting the app's certificate, where the server speaks first with a nonce and the
///   client's hello must carry the HMAC of it under the app's secret.
/// Either way a connection opens with the client's hello; a client of another protocol or major version, or
/// one that does not prove the secret, is answered with why and closed before its request is read.
public struct ProtocolServer<Request: Decodable & Sendable>: Sendable {
    public typealias Handler = @Sendable (Request, Responder) async -> Void
    /// Told of every peer refused (another version, no proof of the secret, a TLS failure), for the log.
    public typealias Refusals = @Sendable (String) -> Void

    public enum Listener: Sendable {
        case unixSocket(path: String)
        case tcp(host: String, port: Int, identity: TLSIdentity, secret: AppSecret)
    }

    public let listener: Listener
    let hello: Hello

    public init(path: String, protocol name: ProtocolName, role: PeerRole) {
        self.init(.unixSocket(path: path), protocol: name, role: role)
    }

    public init(_ listener: Listener, protocol name: ProtocolName, role: PeerRole) {
        self.listener = listener
        self.hello = Hello(name, peer: role)
    }

    /// Binds, calls `ready` with where it listens once it accepts connections (a TCP port of 0 becomes the one
    /// chosen), and serves until the task is cancelled.
    public func run(ready: @Sendable (Endpoint) -> Void = { _ in }, refused: @escaping Refusals = { _ in },
                    handler: @escaping Handler) async throws {
        let hello = hello
        switch listener {
        case .unixSocket(let path):
            try await PrivateSocket.serveLines(at: path, ready: { ready(.unixSocket(path: path)) }) { connection in
                try await Self.serve(connection, hello: hello, place: "a client of \(hello.protocol.rawValue)", challenge: nil,
                                     refused: refused, handler: handler)
            }
        case .tcp(let host, let port, let identity, let secret):
            let context = try identity.serverContext()
            try await Self.serveTLS(host: host, port: port, context: context, ready: ready) { connection, remote in
                let nonce = AppSecret.nonce()
                let place = "a client of \(hello.protocol.rawValue) at \(remote)"
                do {
                    try await Self.serve(connection, hello: hello, place: place,
                                         challenge: (nonce, secret.proof(of: nonce, for: hello.protocol)), refused: refused, handler: handler)
                } catch {
                    // Before the hello, any failure on TCP is the TLS session's (a client that does not trust
                    // the certificate closes it, which shows here as I/O on a closed channel).
                    refused("TLS with \(place) failed: \(error)")
                }
            }
        }
    }

    static func serveTLS(host: String, port: Int, context: NIOSSLContext, ready: @Sendable (Endpoint) -> Void,
                         connection serveConnection: @escaping @Sendable (NIOAsyncChannel<ByteBuffer, ByteBuffer>, String) async throws -> Void) async throws {
        let server = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    // The peer's address is read as it connects: a connection its client closes at once has none later.
                    return (channel.remoteAddress.map(Self.describe) ?? "an unknown address", try PrivateSocket.framed(channel))
                }
            }
        let bound = server.channel.localAddress?.port ?? port
        ready(.tcp(host: host, port: bound))
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await (remote, connection) in connections {
                    // A TLS failure ends only its own connection; the server and its other connections go on.
                    group.addTask { try? await serveConnection(connection, remote) }
                }
            }
        }
    }

    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return Endpoint.tcp(host: ip, port: port).description
    }

    static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, hello: Hello, place: String,
                      challenge: (nonce: String, proof: String)?, refused: Refusals, handler: Handler) async throws {
        try await connection.executeThenClose { inbound, outbound in
            if let challenge { try await outbound.write(ByteBuffer(bytes: try Frame.encode(ChallengeFrame(nonce: challenge.nonce)))) }
            var lines = inbound.makeAsyncIterator()
            guard let first = try await lines.next() else {
                // On TCP, what a client does when it does not trust the certificate it was shown.
                if challenge != nil { refused("TLS with \(place) failed: it closed the connection before its hello (it does not trust this server's certificate, or it is no soma)") }
                return
            }
            let answer = Handshake.answer(to: Data(first.readableBytesView), ours: hello, peer: place, expectedProof: challenge?.proof)
            try await outbound.write(ByteBuffer(bytes: answer.frame))
            if let refusal = answer.refusal { refused("refused \(place): \(refusal)") }
            guard answer.accepted, let line = try await lines.next() else { return }
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
