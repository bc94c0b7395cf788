import Foundation
import Testing

/// kill -9 under load: nothing acknowledged is lost, no partial turn is visible, and the app serves again
/// within 2 s of every kill.
@Suite(.serialized) struct CrashTests {
    static let program = """
    cell Vault {
      face {
        signal put(key: String) -> Int
        signal keys() -> List<String>
        signal audit() -> Bool
      }
      memory {
        entries: Map<String, Int> [persistent]
        total: Int [persistent] = 0
      }
      invariant counted { total == entries.count() }
      on put(key: String) {
        assert !entries.has(key), "duplicate key"
        total = total + 1
        entries.set(key, total)
        total
      }
      on keys() { entries.keys() }
      on audit() { total == entries.count() }
    }
    """
    static let config = "[supervisor]\nmax_restarts = 10000\nwithin = 60\n"

    /// Writers that keep putting fresh keys and remember the ones acknowledged with 200.
    final class Load: @unchecked Sendable {
        private let lock = NSLock()
        private var acknowledged: [String] = []
        private var running = true

        var keys: [String] { lock.withLock { acknowledged } }
        func stop() { lock.withLock { running = false } }
        var isRunning: Bool { lock.withLock { running } }

        func start(_ app: LaunchedApp, writers: Int) -> [Task<Void, Never>] {
            (0..<writers).map { writer in
                Task {
                    var sequence = 0
                    while self.isRunning {
                        sequence += 1
                        let key = "w\(writer)-\(sequence)"
                        if let result = try? await app.post("/Vault/put", #"{"key": "\#(key)"}"#), result.status == 200 {
                            self.lock.withLock { self.acknowledged.append(key) }
                        } else {
                            try? await Task.sleep(for: .milliseconds(5))
                        }
                    }
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(5))) func killNineUnderLoad() async throws {
        let app = try LaunchedApp(Self.program, name: "vault", config: Self.config)
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        let load = Load()
        let writers = load.start(app, writers: 4)
        var slowest = 0.0
        var kills = 0
        for round in 0..<70 {
            // Worker kills first, then supervisor kills: each a separate kind of crash.
            let role = round < 50 ? "worker" : "supervise"
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...250)))
            // A killed supervisor is replaced (started by its worker) within about 100 ms: wait for it.
            var found: pid_t?
            for _ in 0..<200 where found == nil {
                found = LaunchedApp.processes(under: app.appHome).first { Self.commandLine($0).hasPrefix(role) }
                if found == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            guard let pid = found else {
                Issue.record("no \(role) process within 2 s in round \(round)")
                continue
            }
            kill(pid, SIGKILL)
            kills += 1
            // A liveness bound, not a performance one (the slowest recovery is printed): generous, because the
            // whole test suite runs in parallel on two cores beside it.
            guard let seconds = await app.waitUntilServing(within: 5) else {
                Issue.record("not serving within 5 s of killing the \(role) (round \(round))")
                continue
            }
            slowest = max(slowest, seconds)
        }
        try await Task.sleep(for: .milliseconds(200))
        load.stop()
        for writer in writers { await writer.value }

        #expect(kills >= 50)
        let acknowledged = load.keys
        #expect(acknowledged.count > 100, "the load kept going: \(acknowledged.count) writes acknowledged")
        let stored = try await app.post("/Vault/keys", "{}")
        let keys = Set((try JSONSerialization.jsonObject(with: Data(stored.body.utf8)) as? [String]) ?? [])
        let lost = acknowledged.filter { !keys.contains($0) }
        #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(10))")
        #expect(try await app.post("/Vault/audit", "{}").body == "true", "no partial turn: total matches the entries")
        print("crash test: \(kills) kills, \(acknowledged.count) acknowledged writes, slowest recovery \(Int(slowest * 1000)) ms")
    }

    static func commandLine(_ pid: pid_t) -> String {
        let raw = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        return raw.split(separator: "\0").dropFirst().joined(separator: " ")
    }
}
