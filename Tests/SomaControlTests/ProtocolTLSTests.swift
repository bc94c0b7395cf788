import Foundation
import NIOCore
import NIOPosix
import SomaControl
import SomaProtocol
import Testing

/// The control protocol on TCP over loopback: TLS 1.3 with the app's pinned certificate, and the app's secret
/// proved over the server's nonce. A client with the wrong secret, one that pins another certificate, one of
/// another major version, and one that speaks no TLS are all refused with an error naming the peer, and no
/// request of theirs reaches the handler.
@Suite struct ProtocolTLSTests {
    struct Served {
        let port: Int
        let identity: TLSIdentity
        let secret: AppSecret
        let calls: ProtocolServerTests.Calls
        /// What the server reported of the peers it refused.
        let refusals: ProtocolServerTests.Calls
        let serving: Task<Void, any Error>

        func refused(containing text: String) async -> Bool {
            for _ in 0..<100 {
                if await refusals.names.contains(where: { $0.contains(text) }) { return true }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return false
        }

        func client(secret: AppSecret? = nil, pin: String? = nil, version: ProtocolVersion? = nil) -> ControlClient {
            let credentials = TCPCredentials(pinnedFingerprint: pin ?? identity.fingerprint, secret: secret ?? self.secret)
            return ControlClient(.tcp(host: "127.0.0.1", port: port), credentials: credentials, protocol: .control, peer: .cli,
                                 server: .supervisor, version: version)
        }
    }

    func serve() async throws -> Served {
        let identity = try TLSIdentity.ephemeral(name: "soma test")
        let secret = AppSecret.random()
        let calls = ProtocolServerTests.Calls()
        let refusals = ProtocolServerTests.Calls()
        let (ready, signal) = AsyncStream<Int>.makeStream()
        let server = SupervisorServer(.tcp(host: "127.0.0.1", port: 0, identity: identity, secret: secret), protocol: .control, role: .supervisor)
        let serving = Task {
            try await server.run(ready: { endpoint in
                if case .tcp(_, let port) = endpoint { signal.yield(port) }
            }, refused: { why in
                Task { await refusals.record(why) }
            }) { request, responder in
                await calls.record(request.name)
                await responder.reply(Done("stopping"))
            }
        }
        var ports = ready.makeAsyncIterator()
        let port = try #require(await ports.next())
        return Served(port: port, identity: identity, secret: secret, calls: calls, refusals: refusals, serving: serving)
    }

    @Test func aClientWithThePinnedCertificateAndTheSecretIsServed() async throws {
        let served = try await serve()
        defer { served.serving.cancel() }
        let done = try await served.client().call(.stop, replying: Done.self)
        #expect(done.message == "stopping")
        #expect(await served.calls.names == ["stop"])
    }

    @Test func aWrongSecretIsRefusedNamingTheServer() async throws {
        let served = try await serve()
        defer { served.serving.cancel() }
        await #expect {
            _ = try await served.client(secret: .random()).call(.stop, replying: Done.self)
        } throws: { error in
            guard let failure = error as? ProtocolFailure else { return false }
            return failure.code == "auth-refused" && failure.message.contains("127.0.0.1:\(served.port)") && failure.message.contains("secret")
        }
        #expect(await served.calls.names.isEmpty, "the stop was never read")
        let reported = await served.refused(containing: "refused a client of soma-control at 127.0.0.1:")
        let refusals = await served.refusals.names
        #expect(reported, "\(refusals)")
    }

    @Test func aServerThatIsNotThePinnedOneFailsTLS() async throws {
        let served = try await serve()
        defer { served.serving.cancel() }
        let other = try TLSIdentity.ephemeral(name: "another app")
        await #expect {
            _ = try await served.client(pin: other.fingerprint).call(.stop, replying: Done.self)
        } throws: { error in
            guard let failure = error as? ProtocolFailure else { return false }
            return failure.code == "tls-failed" && failure.message.contains("127.0.0.1:\(served.port)")
                && failure.message.contains(served.identity.fingerprint.prefix(16)) && failure.message.contains("pinned")
        }
        #expect(await served.calls.names.isEmpty)
        let reported = await served.refused(containing: "TLS with a client of soma-control at 127.0.0.1:")
        let refusals = await served.refusals.names
        #expect(reported, "\(refusals)")
    }

    @Test func aClientOfAnotherMajorIsToldBothVersions() async throws {
        let served = try await serve()
        defer { served.serving.cancel() }
        await #expect {
            _ = try await served.client(version: ProtocolVersion(major: 4, minor: 0)).call(.stop, replying: Done.self)
        } throws: { error in
            guard let failure = error as? ProtocolFailure else { return false }
            return failure.code == "protocol-version" && failure.message.contains("4.0") && failure.message.contains(ProtocolName.control.current.description)
                && failure.message.contains("127.0.0.1")
        }
        #expect(await served.calls.names.isEmpty)
    }

    /// A peer that sends plain text where TLS belongs gets nothing it can read, and the server goes on serving.
    @Test func aClientWithoutTLSGetsNothingAndTheServerGoesOn() async throws {
        let served = try await serve()
        defer { served.serving.cancel() }
        let answer = try await ProtocolServerTests.onOwnThread { () -> [UInt8] in
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(served.port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            let line = Array(#"{"hello":{"protocol":"soma-control","version":{"major":2,"minor":0},"build":"0.1.0","peer":"cli"}}"#.utf8) + [0x0A]
                + Array(#"{"stop":{}}"#.utf8) + [0x0A]
            _ = line.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            return count > 0 ? Array(buffer[..<count]) : []
        }
        #expect(!String(decoding: answer, as: UTF8.self).contains("hello"), "no frame of the protocol in the clear")
        #expect(await served.calls.names.isEmpty)
        _ = try await served.client().call(.stop, replying: Done.self)
        #expect(await served.calls.names == ["stop"])
    }

    @Test func theSecretAndTheIdentityAreMadeOncePrivateAndRefusedWhenOthersCanReadThem() throws {
        let folder = NSTemporaryDirectory() + "soma-cred-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let secretPath = folder + "/secret"
        let first = try AppSecret.loadOrCreate(at: secretPath)
        let again = try AppSecret.loadOrCreate(at: secretPath)
        #expect(first.proof(of: "n", for: .control) == again.proof(of: "n", for: .control))
        #expect(first.proof(of: "n", for: .control) != first.proof(of: "n", for: .worker), "a proof is for one protocol")
        #expect("\(first)".contains("redacted"))
        let mode = try #require(FileManager.default.attributesOfItem(atPath: secretPath)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let identity = try TLSIdentity.loadOrCreate(at: folder + "/control.pem", name: "soma shop")
        #expect(try TLSIdentity.loadOrCreate(at: folder + "/control.pem", name: "soma shop").fingerprint == identity.fingerprint)
        chmod(secretPath, 0o644)
        #expect {
            _ = try AppSecret.load(at: secretPath)
        } throws: { error in
            (error as? CredentialError)?.code == .exposed && "\(error)".contains("chmod 600")
        }
    }
}
