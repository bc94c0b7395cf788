import Foundation
import NIOCore
import SomaControl
import SomaProtocol
import Testing

/// The control protocol over a real Unix socket: typed requests and replies, and peers that are refused
/// before their request reaches the handler.
@Suite struct ProtocolServerTests {
    /// Counts the requests that reached the handler: a refused peer must change nothing.
    actor Calls {
        var names: [String] = []
        func record(_ name: String) { names.append(name) }
    }

    struct Served {
        let path: String
        let calls: Calls
        let serving: Task<Void, any Error>
    }

    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    static func socketPath() -> String {
        "/tmp/soma-ct-\(UUID().uuidString.prefix(8)).sock"
    }

    func serve() async throws -> Served {
        let path = Self.socketPath()
        let calls = Calls()
        let (ready, signal) = AsyncStream<Void>.makeStream()
        let serving = Task {
            try await SupervisorServer(path: path, protocol: .control, role: .supervisor).run(ready: { _ in signal.yield() }) { request, responder in
                await calls.record(request.name)
                switch request {
                case .status:
                    var status = StatusReply(app: "shop", state: .serving, version: 3, port: 8080, url: "http://127.0.0.1:8080", supervisorPID: 42,
                                             supervisorStartedAt: Date(timeIntervalSince1970: 1_800_000_000), supervisorUptime: 5, restarts: 0)
                    status.workerPID = 43
                    await responder.reply(status)
                case .release(let name, _):
                    await responder.fail(ProtocolFailure(code: "resource-bound", "resource '\(name)' is bound"))
                default:
                    await responder.fail(ProtocolFailure(code: "unsupported", request.name))
                }
            }
        }
        for await _ in ready { break }
        return Served(path: path, calls: calls, serving: serving)
    }

    @Test func aTypedRequestGetsItsTypedReply() async throws {
        let served = try await serve()
        defer { served.serving.cancel() }
        let status = try await ControlClient(path: served.path).status()
        #expect(status.state == .serving && status.version == 3 && status.workerPID == 43 && status.turns == nil)
        #expect(status.supervisorStartedAt == Date(timeIntervalSince1970: 1_800_000_000))
        await #expect(throws: ProtocolFailure(code: "resource-bound", "resource 'db' is bound")) {
            _ = try await ControlClient(path: served.path).release("db", purge: false)
        }
        #expect(await served.calls.names == ["status", "release"])
    }

    @Test func aClientOfAnotherMajorIsRefusedAndNothingReachesTheHandler() async throws {
        let served = try await serve()
        defer { served.serving.cancel() }
        let newer = ControlClient(path: served.path, protocol: .control, peer: .cli, server: .supervisor, version: ProtocolVersion(major: 4, minor: 0))
        await #expect {
            _ = try await newer.call(.stop, replying: Done.self)
        } throws: { error in
            guard let failure = error as? ProtocolFailure else { return false }
            return failure.code == "protocol-version" && failure.message.contains("4.0") && failure.message.contains(ProtocolName.control.current.description)
        }
        #expect(await served.calls.names.isEmpty, "the stop was never read")
    }

    @Test func aFrameThatDoesNotDecodeIsAnsweredWithWhyAndNothingReachesTheHandler() async throws {
        let served = try await serve()
        defer { served.serving.cancel() }
        for garbage in [#"{"explode":{}}"#, #"{"release":{"name":"db"}}"#, "]"] {
            let path = served.path
            // A blocking client on a thread of its own: the server's tasks need the cooperative threads.
            let line = try await Self.onOwnThread {
                let socket = LineSocket(path: path, timeoutSeconds: 5, hello: Hello(.control, peer: .cli), server: .supervisor)
                defer { socket.close() }
                return try socket.exchange(Data(garbage.utf8))
            }
            let frame = try JSONDecoder().decode(ReplyFrame<Done>.self, from: line)
            guard case .failure(let failure) = frame else {
                Issue.record("\(garbage) was answered")
                continue
            }
            #expect(failure.code == "protocol-malformed", "\(garbage): \(failure.message)")
        }
        #expect(await served.calls.names.isEmpty)
    }

    @Test func aServerFromBeforeVersionsIsNamedAsSuch() async throws {
        let path = Self.socketPath()
        let (ready, signal) = AsyncStream<Void>.makeStream()
        // What soma 0.1.0's supervisor answers to a line it cannot read as `{command, arguments}`.
        let legacy = Task {
            try await PrivateSocket.serveLines(at: path, ready: { signal.yield() }) { connection in
                try await connection.executeThenClose { inbound, outbound in
                    for try await _ in inbound {
                        try await outbound.write(ByteBuffer(string: #"{"ok":false,"message":"malformed control request","fields":{}}"# + "\n"))
                        return
                    }
                }
            }
        }
        defer { legacy.cancel() }
        for await _ in ready { break }
        await #expect {
            _ = try await ControlClient(path: path).status()
        } throws: { error in
            (error as? ProtocolFailure)?.code == "protocol-version" && "\(error)".contains(path)
        }
    }
}

