import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import SomaProtocol

/// The socket plumbing every protocol server shares.
public enum PrivateSocket {
    /// Binds a Unix socket private to this user (0600, peer uid checked), calls `ready` once it is bound, and
    /// hands every connection, framed into lines, to `connection` concurrently until the task is cancelled.
    /// The control socket and the worker's socket serve this way.
    public static func serveLines(at path: String, ready: @Sendable () -> Void = {},
                                  connection serveConnection: @escaping @Sendable (NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws -> Void) async throws {
        let server = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                checkPeer(channel).flatMapThrowing { try framed(channel) }
            }
        chmod(path, 0o600)
        ready()
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { try? await serveConnection(connection) }
                }
            }
        }
    }

    /// Like `serveLines`, but on the event loops of `group`, each connection's lines going to a channel handler
    /// made for it: for a server whose work runs on its own loop (a queue), so a request is answered without
    /// passing from thread to thread.
    public static func serveLines(at path: String, on group: any EventLoopGroup, ready: @Sendable () -> Void = {},
                                  handler makeHandler: @escaping @Sendable () -> any ChannelInboundHandler) async throws {
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                checkPeer(channel).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandlers([ByteToMessageHandler(LineBasedFrameDecoder()), makeHandler()])
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true)
            .get()
        chmod(path, 0o600)
        ready()
        try await withTaskCancellationHandler {
            try await server.closeFuture.get()
        } onCancel: {
            server.close(promise: nil)
        }
    }

    /// The channel read as JSON lines of at most `Frame.maximumLength`, for async code: every server and
    /// client of the control and worker protocols, on either transport.
    static func framed(_ channel: any Channel) throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: Frame.maximumLength))
        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
    }

    /// Fails unless the connecting process runs as our own user.
    public static func checkPeer(_ channel: any Channel) -> EventLoopFuture<Void> {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ControlError.peerRejected("no socket options"))
        }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return future.flatMapThrowing { credentials in
            guard credentials.uid == getuid() else {
                throw ControlError.peerRejected("uid \(credentials.uid) is not the owner")
            }
        }
        #else
        return channel.eventLoop.makeSucceededVoidFuture()
        #endif
    }
}

/// Linux's `struct ucred` (pid, uid, gid), which Glibc's module map hides behind _GNU_SOURCE.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
