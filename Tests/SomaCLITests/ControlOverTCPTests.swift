import Foundation
import SomaControl
import SomaProtocol
import Testing

/// soma.toml `[control] listen`: the supervisor serves its control protocol on TCP too, with TLS and the app's
/// secret, and with no such setting nothing of soma listens on TCP but the face (RUNTIME.md §4).
@Suite(.serialized) struct ControlOverTCPTests {
    static let counter = """
        cell Counter {
          face { signal add(n: Int) -> Int }
          memory { total: Int [persistent] = 0 }
          on add(n: Int) { total = total + n; total }
        }
        """

    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 ? getsockname(descriptor, $0, &length) : -1 }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func aSupervisorThatListensServesOverTLSAndRefusesAWrongSecret() async throws {
        let port = try Self.freePort()
        let app = try LaunchedApp(Self.counter, name: "counter", config: "[control]\nlisten = \"127.0.0.1:\(port)\"\n")
        defer { app.finish() }
        let launched = try await app.launch()
        #expect(launched.status == 0, "\(launched.error)")
        #expect(try await app.post("/Counter/add", #"{"n": 2}"#).body == "2")
        #expect(try await ResourcesEndToEndTests.waitFor(10) { app.logTail.contains("control listens on 127.0.0.1:\(port)") }, "\(app.logTail)")

        let supervisor = try #require(LaunchedApp.processes(under: app.appHome).first { CrashTests.commandLine($0).hasPrefix("supervise") })
        #expect(try Self.listeningTCPPorts(of: supervisor) == [port], "the one TCP port is the configured one")

        let identity = try TLSIdentity.load(at: "\(app.appHome)/control.pem")
        let secret = try AppSecret.load(at: "\(app.appHome)/secret")
        let endpoint = Endpoint.tcp(host: "127.0.0.1", port: port)
        let status = try await ControlClient(endpoint, credentials: TCPCredentials(pinnedFingerprint: identity.fingerprint, secret: secret)).status()
        #expect(status.app == "counter" && status.state == .serving && status.version == 1)
        // `soma status` says where control listens and what to pin, as --json to its schema.
        #expect(status.control == ControlListener(address: "127.0.0.1:\(port)", certificateSHA256: identity.fingerprint))
        let shown = try await app.soma("status")
        #expect(shown.output.contains("control     tcp 127.0.0.1:\(port), TLS 1.3, certificate sha256 \(identity.fingerprint)"), "\(shown.output)")
        let json = try await app.soma("status", "--json").output
        #expect(try await JSONSchemaTests.violations(of: json, schema: "status") == nil, "\(json)")

        await #expect {
            _ = try await ControlClient(endpoint, credentials: TCPCredentials(pinnedFingerprint: identity.fingerprint, secret: .random())).stop()
        } throws: { error in
            (error as? ProtocolFailure)?.code == "auth-refused" && "\(error)".contains("127.0.0.1:\(port)")
        }
        // The supervisor says whom it refused, and why, never with the secret.
        #expect(try await ResourcesEndToEndTests.waitFor(5) { app.logTail.contains("refused a client of soma-control at 127.0.0.1:") && app.logTail.contains("does not hold the app's secret") },
                "\(app.logTail)")
        // The stop was never read: the app still serves, on the same worker.
        #expect(try await app.post("/Counter/add", #"{"n": 3}"#).body == "5")
        let raw = try #require(FileManager.default.contents(atPath: "\(app.appHome)/secret"))
        let hex = raw.map { String(format: "%02x", $0) }.joined()
        let log = (try? String(contentsOfFile: "\(app.appHome)/logs/app.log", encoding: .utf8)) ?? ""
        #expect(!log.contains(hex) && !log.contains(raw.base64EncodedString()), "the secret never reaches the log")
    }

    @Test func withoutTheSettingNothingListensOnTCPButTheFace() async throws {
        let app = try LaunchedApp(Self.counter, name: "counter")
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(app.appHome)/secret"))
        #expect(!FileManager.default.fileExists(atPath: "\(app.appHome)/control.pem"))
        let supervisor = try #require(LaunchedApp.processes(under: app.appHome).first { CrashTests.commandLine($0).hasPrefix("supervise") })
        #expect(try Self.listeningTCPPorts(of: supervisor).isEmpty)
        let status = try #require(try JSONSerialization.jsonObject(with: Data(try await app.soma("status", "--json").output.utf8)) as? [String: Any])
        #expect(status["control"] is NSNull, "\(status)")
    }

    /// The TCP ports a process listens on: its socket inodes matched against /proc/net/tcp{,6} in LISTEN state.
    static func listeningTCPPorts(of pid: pid_t) throws -> [Int] {
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        let inodes = Set(descriptors.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)") }
            .filter { $0.hasPrefix("socket:[") }.map { String($0.dropFirst(8).dropLast()) })
        var ports: [Int] = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let lines = ((try? String(contentsOfFile: table, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst()
            for line in lines {
                let fields = line.split(separator: " ")
                // local_address is field 1 (ADDR:PORT in hex), st is field 3 (0A = LISTEN), inode is field 9.
                guard fields.count > 9, fields[3] == "0A", inodes.contains(String(fields[9])),
                      let port = fields[1].split(separator: ":").last.flatMap({ Int($0, radix: 16) }) else { continue }
                ports.append(port)
            }
        }
        return ports
    }
}
