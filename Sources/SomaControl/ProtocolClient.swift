import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import SomaProtocol

/// A client of one of soma's protocols, on a Unix socket or on TCP with TLS: it sends its hello with the
/// request, checks the server's hello, and reads the reply as the type the request has. One request per
/// connection. On TCP it first checks that the server presents the pinned certificate, and answers the
/// server's challenge with the app's secret.
public struct ProtocolClient<Request: Encodable & Sendable>: Sendable {
    public let endpoint: Endpoint
    let credentials: TCPCredentials?
    let hello: Hello
    /// The server, as an error names it: "the supervisor at /…/control.sock".
    let place: String

    public var path: String { endpoint.description }

    public init(path: String, protocol name: ProtocolName, peer: PeerRole, server: PeerRole, version: ProtocolVersion? = nil) {
        self.init(.unixSocket(path: path), credentials: nil, protocol: name, peer: peer, server: server, version: version)
    }

    /// A client of the server at `endpoint`; a `.tcp` one needs `credentials`.
    public init(_ endpoint: Endpoint, credentials: TCPCredentials?, protocol name: ProtocolName, peer: PeerRole, server: PeerRole,
                version: ProtocolVersion? = nil) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.hello = Hello(name, peer: peer, version: version)
        self.place = "the \(server.rawValue) at \(endpoint)"
    }

    /// Sends the request and reads its reply within `timeout`, so a process that accepts and never answers
    /// cannot hang the caller. A failure the server answered is thrown as it came (`ProtocolFailure`).
    public func call<Reply: Codable & Sendable>(_ request: Request, replying: Reply.Type, timeout: Duration = .seconds(10)) async throws -> Reply {
        try await withThrowingTaskGroup(of: Reply.self) { group in
            group.addTask { try await self.exchange(request, replying: Reply.self) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ControlError.unreachable(path: path, reason: "no answer within \(timeout)")
            }
            defer { group.cancelAll() }
            guard let reply = try await group.next() else { throw ControlError.unreachable(path: path, reason: "no answer") }
            return reply
        }
    }

    func exchange<Reply: Codable & Sendable>(_ request: Request, replying: Reply.Type) async throws -> Reply {
        switch endpoint {
        case .unixSocket(let path):
            guard FileManager.default.fileExists(atPath: path) else { throw ControlError.unreachable(path: path, reason: "no socket") }
            let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
            do {
                channel = try await ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
                    .connect(unixDomainSocketPath: path) { channel in
                        channel.eventLoop.makeCompletedFuture { try PrivateSocket.framed(channel) }
                    }
            } catch {
                throw ControlError.unreachable(path: path, reason: "\(error)")
            }
            return try await converse(request, on: channel, proof: { _ in nil }, replying: Reply.self)
        case .tcp(let host, let port):
            guard let credentials else {
                throw ProtocolFailure(.tls, "\(place) is reached over TCP, which needs the app's certificate fingerprint and secret")
            }
            let mismatch = PinMismatch()
            let context = try credentials.clientContext()
            let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
            do {
                channel = try await ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
                    .connect(host: host, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let tls = try NIOSSLClientHandler(context: context, serverHostname: nil) { presented, promise in
                                promise.succeed(credentials.verify(presented, mismatch: mismatch))
                            }
                            try channel.pipeline.syncOperations.addHandler(tls)
                            return try PrivateSocket.framed(channel)
                        }
                    }
            } catch {
                throw ControlError.unreachable(path: path, reason: "\(error)")
            }
            do {
                return try await converse(request, on: channel, proof: { nonce in credentials.secret.proof(of: nonce, for: hello.protocol) }, replying: Reply.self)
            } catch let error as NIOSSLError {
                throw ProtocolFailure(.tls, "TLS with \(place) failed: \(mismatch.presented.map { "it presented \($0)" } ?? "\(error)")",
                                      hint: mismatch.presented == nil ? nil : "the server is not the app whose certificate was pinned")
            }
        case .file, .postgres:
            throw ControlError.unreachable(path: path, reason: "\(endpoint) is not the address of a soma server")
        }
    }

    /// The exchange on an open connection. `proof` answers a TCP server's challenge (nil on a Unix socket,
    /// where the server speaks only after the client's hello).
    func converse<Reply: Codable & Sendable>(_ request: Request, on channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, proof: @Sendable (String) -> String?,
                                             replying: Reply.Type) async throws -> Reply {
        try await channel.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            var hello = self.hello
            if credentials != nil {
                guard let line = try await lines.next() else {
                    throw ControlError.unreachable(path: path, reason: "the server closed without a challenge")
                }
                let challenge: ChallengeFrame
                do {
                    challenge = try Frame.decode(ChallengeFrame.self, from: Data(line.readableBytesView))
                } catch {
                    throw ProtocolFailure.malformed("a challenge", place: place, error: error)
                }
                hello.proof = proof(challenge.challenge.nonce)
            }
            // The hello and the request in one write: no round trip of its own for the handshake.
            try await outbound.write(ByteBuffer(bytes: try Frame.encode(HelloFrame(hello)) + Frame.encode(request)))
            guard let greeting = try await lines.next() else {
                throw ControlError.unreachable(path: path, reason: "the server closed without answering")
            }
            try Handshake.check(greeting: Data(greeting.readableBytesView), ours: hello, peer: place)
            guard let line = try await lines.next() else {
                throw ControlError.unreachable(path: path, reason: "the server closed without answering")
            }
            let frame: ReplyFrame<Reply>
            do {
                frame = try Frame.decode(ReplyFrame<Reply>.self, from: Data(line.readableBytesView))
            } catch {
                throw ProtocolFailure.malformed("a reply", place: place, error: error)
            }
            switch frame {
            case .reply(let reply): return reply
            case .failure(let failure): throw failure
            }
        }
    }
}

/// The CLI's (or the worker's) client of the supervisor.
public typealias ControlClient = ProtocolClient<ControlRequest>
/// The supervisor's client of its worker.
public typealias WorkerClient = ProtocolClient<WorkerRequest>

extension ProtocolClient where Request == ControlRequest {
    public init(path: String, peer: PeerRole = .cli) {
        self.init(path: path, protocol: .control, peer: peer, server: .supervisor)
    }

    /// A client of a supervisor listening on TCP (soma.toml `[control] listen`).
    public init(_ endpoint: Endpoint, credentials: TCPCredentials, peer: PeerRole = .cli) {
        self.init(endpoint, credentials: credentials, protocol: .control, peer: peer, server: .supervisor)
    }

    // One call per request, each with the reply type its request has.
    public func status(timeout: Duration = .seconds(10)) async throws -> StatusReply {
        try await call(.status, replying: StatusReply.self, timeout: timeout)
    }
    public func watch(after generation: Int, timeout: Duration) async throws -> WatchReply {
        let milliseconds = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return try await call(.watch(after: generation, timeoutMilliseconds: milliseconds), replying: WatchReply.self, timeout: timeout + .seconds(10))
    }
    public func send(_ call: FaceCall) async throws -> FaceCallReply {
        try await self.call(.send(call), replying: FaceCallReply.self, timeout: .seconds(60))
    }
    public func swap(_ command: SwapOrder, timeout: Duration) async throws -> SwapReply {
        try await call(.swap(command), replying: SwapReply.self, timeout: timeout)
    }
    public func stop() async throws {
        _ = try await call(.stop, replying: Done.self)
    }
    public func resources() async throws -> [ResourceRecord] {
        try await call(.resources, replying: [ResourceRecord].self)
    }
    public func versions() async throws -> [VersionSummary] {
        try await call(.versions, replying: [VersionSummary].self)
    }
    public func inspect(_ name: String, deadLetters: Int) async throws -> ResourceInspection {
        try await call(.inspect(name: name, deadLetters: deadLetters), replying: ResourceInspection.self, timeout: .seconds(60))
    }
    public func replay(_ name: String, ids: [String]?) async throws -> [QueueMessage] {
        try await call(.replay(name: name, ids: ids), replying: [QueueMessage].self, timeout: .seconds(60))
    }
    public func logs(from: Int, limit: Int) async throws -> LogChunk {
        try await call(.logs(from: from, limit: limit), replying: LogChunk.self)
    }
    public func code(version: Int) async throws -> ProgramCode {
        try await call(.code(version: version), replying: ProgramCode.self)
    }
    public func launch(_ order: LaunchOrder) async throws -> LaunchReply {
        try await call(.launch(order), replying: LaunchReply.self, timeout: .seconds(30))
    }
    public func quarantined() async throws -> [QuarantinedValue] {
        try await call(.quarantined, replying: [QuarantinedValue].self)
    }
    public func repair(_ command: RepairOrder) async throws -> RepairReply {
        try await call(.repair(command), replying: RepairReply.self, timeout: .seconds(60))
    }
    public func setAside(resource: String?) async throws -> [SetAsideEffect] {
        try await call(.setAside(resource: resource), replying: [SetAsideEffect].self)
    }
    public func release(_ name: String, purge: Bool) async throws -> Done {
        try await call(.release(name: name, purge: purge), replying: Done.self, timeout: .seconds(60))
    }
}

extension ProtocolClient where Request == WorkerRequest {
    public init(path: String) {
        self.init(path: path, protocol: .worker, peer: .supervisor, server: .worker)
    }

    public func health(timeout: Duration = .seconds(10)) async throws -> HealthReply {
        try await call(.health, replying: HealthReply.self, timeout: timeout)
    }
    public func send(_ call: FaceCall) async throws -> FaceCallReply {
        try await self.call(.send(call), replying: FaceCallReply.self, timeout: .seconds(60))
    }
    public func swap(_ swap: WorkerSwap, timeout: Duration) async throws -> SwapReply {
        try await call(.swap(swap), replying: SwapReply.self, timeout: timeout)
    }
    public func quarantined() async throws -> [QuarantinedValue] {
        try await call(.quarantined, replying: [QuarantinedValue].self)
    }
    public func repair(_ command: RepairOrder) async throws -> RepairReply {
        try await call(.repair(command), replying: RepairReply.self, timeout: .seconds(60))
    }
    public func setAside(resource: String?) async throws -> [SetAsideEffect] {
        try await call(.setAside(resource: resource), replying: [SetAsideEffect].self)
    }
}
