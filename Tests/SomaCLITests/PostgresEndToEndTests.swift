import Foundation
import SomaProcesses
import SomaProviders
import Subprocess
import Testing
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The postgres engine with the real binary: a real PostgreSQL server started by the local provider (as the
/// `postgres` account when the tests run as root), rows read back with `psql`.
@Suite(.serialized) struct PostgresEndToEndTests {
    static var shop: String {
        LaunchEndToEndTests.shop.replacingOccurrences(of: #"Database<ShopDb>("shop")"#, with: #"Database<ShopDb>("shop", engine: "postgres")"#)
    }

    /// `psql CONNECTION -At -c SQL`, as `soma resources show` tells a user to run it.
    static func psql(_ connection: String, _ sql: String) async throws -> String {
        let result = try await Subprocess.run(.name("psql"), arguments: [connection, "-AtX", "-c", sql],
                                              output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) + (result.terminationStatus.isSuccess ? "" : "ERROR \(result.standardError)")
    }

    static func show(_ app: LaunchedApp, _ name: String) async throws -> [String: Any] {
        let shown = try await app.soma("resources", "show", name, "--json")
        return (try? JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any]) ?? [:]
    }

    /// The URI inside `psql '…'`.
    static func connection(_ app: LaunchedApp, _ name: String) async throws -> String {
        let command = try #require(try await show(app, name)["connection"] as? String)
        #expect(command.hasPrefix("psql '"))
        return String(command.dropFirst("psql '".count).dropLast())
    }

    @Test func shopOrdersReachAPostgresDatabaseThatPsqlReads() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop")
        defer { app.finish() }

        let launched = try await app.launch()
        #expect(launched.status == 0, "\(launched.error)")
        #expect(launched.output.contains("Database<ShopDb> postgres ready"), "\(launched.output)")
        let connection = try await Self.connection(app, "shop")

        for index in 1...10 {
            #expect(try await app.post("/Shop/place_order", ResourcesEndToEndTests.order("o\(index)")).status == 200)
        }
        #expect(try await ResourcesEndToEndTests.waitFor(15) { try await Self.psql(connection, "SELECT COUNT(*) FROM orders") == "10" }, "\(app.logTail)")
        #expect(try await Self.psql(connection, "SELECT id, buyer, items::text, total FROM orders WHERE id = 'o7'")
                == #"o7|ada|[{"qty": 2, "sku": "tea", "price": 3.5}]|7"#)
        // Over TCP, with the password from the password file the connection string names.
        let tcp = try #require(try await Self.show(app, "shop")["tcp"] as? String)
        #expect(tcp.hasPrefix("postgresql://soma@127.0.0.1:"))
        #expect(try await Self.psql(tcp, "SELECT COUNT(*) FROM orders") == "10")

        // The server dies: it is restarted and counted, no row is lost, and new orders arrive.
        let pid = try #require(try await ResourcesEndToEndTests.resources(app)["shop"]?["pid"].flatMap { pid_t($0) })
        kill(pid, SIGKILL)
        for index in 11...15 {
            #expect(try await app.post("/Shop/place_order", ResourcesEndToEndTests.order("o\(index)")).status == 200)
        }
        #expect(try await ResourcesEndToEndTests.waitFor(30) { try await Self.psql(connection, "SELECT COUNT(*) FROM orders") == "15" }, "\(app.logTail)")
        let resources = try await ResourcesEndToEndTests.resources(app)
        #expect(resources["shop"]?["restarts"] == "1" && resources["shop"]?["state"] == "ready")

        // It outlives `soma stop` and serves again after the relaunch, on the same port.
        #expect(try await app.soma("stop").status == 0)
        #expect(try await ResourcesEndToEndTests.resources(app)["shop"]?["pid"] == nil)
        // Stopped cleanly (a fast shutdown), so the next start has nothing to recover.
        #expect(app.logTail.contains("database system is shut down"), "\(app.logTail)")
        #expect(try await app.launch().status == 0)
        #expect(try await app.post("/Shop/place_order", ResourcesEndToEndTests.order("o16")).status == 200)
        #expect(try await ResourcesEndToEndTests.waitFor(15) { try await Self.psql(connection, "SELECT COUNT(*) FROM orders") == "16" }, "\(app.logTail)")

        // Released with --purge, nothing of it is left.
        #expect(try await app.soma("stop").status == 0)
        let cluster = app.postgresClusters.first
        #expect(try await app.soma("resources", "release", "shop", "--purge").status == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(app.appHome)/resources/shop"))
        if let cluster { #expect(!FileManager.default.fileExists(atPath: cluster)) }
    }

    static let ledger = """
        type Entry = { id: String, amount: Int, tags: List<String> }
        type Books = { entries: Table<Entry> }
        cell Ledger {
          face {
            signal add(id: String, amount: Int) -> Int
            signal remove(id: String) -> Int
            signal amount(id: String) -> Int
            signal above(limit: Int) -> Int
            signal total() -> List<Json>
            signal write() -> List<Json>
            signal tags() -> List<Json>
          }
          let books = Database<Books>("books", engine: "postgres")
          on add(id: String, amount: Int) {
            books.entries.put(Entry { id: id, amount: amount, tags: ["a", id] })
            books.entries.count()
          }
          on remove(id: String) {
            books.entries.delete(id)
            books.entries.count()
          }
          on amount(id: String) { books.entries.get(id).unwrap_or(Entry { id: id, amount: -1, tags: [] }).amount }
          on above(limit: Int) { books.entries.where(fn(e) -> e.amount > limit).count() }
          on total() { books.sql("SELECT sum(amount) AS total, count(*) AS n FROM entries WHERE amount > $1", 0) }
          on write() { books.sql("DELETE FROM entries") }
          on tags() { books.sql("SELECT id, tags FROM entries ORDER BY id") }
        }
        """

    @Test func tablesAndSqlWorkOnPostgresAsOnSqlite() async throws {
        let app = try LaunchedApp(Self.ledger, name: "books")
        defer { app.finish() }
        let launched = try await app.launch()
        #expect(launched.status == 0, "\(launched.error)")
        #expect(try await app.soma("send", "Ledger.add", #"{"id": "a", "amount": 5}"#).output == "1\n")
        #expect(try await app.soma("send", "Ledger.add", #"{"id": "b", "amount": 7}"#).output == "2\n")
        #expect(try await app.soma("send", "Ledger.add", #"{"id": "b", "amount": 9}"#).output == "2\n")
        #expect(try await app.soma("send", "Ledger.amount", #"{"id": "b"}"#).output == "9\n")
        #expect(try await app.soma("send", "Ledger.above", #"{"limit": 6}"#).output == "1\n")
        let total = try await app.soma("send", "Ledger.total")
        #expect(total.output.contains(#""total":14"#) && total.output.contains(#""n":2"#), "\(total.output) \(total.error)")
        let write = try await app.soma("send", "Ledger.write")
        #expect(write.status != 0 && write.error.contains("db.sql runs queries only") && write.error.contains(#""code":"sql-write""#),
                "\(write.output) \(write.error)")
        // The server's own lines are framed like every other source's.
        let serverLog = try await app.soma("logs", "--source", "postgres", "-n", "3", "--json")
        let events = serverLog.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!events.isEmpty && events.allSatisfy { $0["source"] as? String == "postgres:books" && ($0["time"] as? String)?.hasSuffix("Z") == true },
                "\(serverLog.output)")
        // A jsonb column comes back as Json, not as its text.
        let tags = try await app.soma("send", "Ledger.tags")
        #expect(tags.output.contains(#""tags":["a","b"]"#), "\(tags.output) \(tags.error)")
        #expect(try await app.soma("send", "Ledger.remove", #"{"id": "a"}"#).output == "1\n")
        // PostgreSQL text cannot hold U+0000: the turn that would write one is refused, naming the field, and
        // leaves nothing behind that fails for ever; the writes after it flow.
        let nul = try await app.soma("send", "Ledger.add", #"{"id": "c\u0000d", "amount": 1}"#)
        #expect(nul.status != 0 && nul.error.contains("unstorable-value") && nul.error.contains("entries.id"), "\(nul.output) \(nul.error)")
        let tag = try await app.soma("send", "Ledger.amount", #"{"id": "c\u0000d"}"#)
        #expect(tag.output == "-1\n", "\(tag.output) \(tag.error)")
        let connection = try await Self.connection(app, "books")
        #expect(try await ResourcesEndToEndTests.waitFor(10) {
            try await Self.psql(connection, "SELECT id, amount, tags::text FROM entries") == #"b|9|["a", "b"]"#
        })
        // A row the server refuses for good (a user's CHECK constraint, SQLSTATE 23514) is set aside; the
        // writes behind it are carried out.
        #expect(try await Self.psql(connection, "ALTER TABLE entries ADD CONSTRAINT small CHECK (amount < 100)") == "ALTER TABLE")
        #expect(try await app.soma("send", "Ledger.add", #"{"id": "big", "amount": 500}"#).status == 0)
        #expect(try await app.soma("send", "Ledger.add", #"{"id": "d", "amount": 4}"#).status == 0)
        #expect(try await ResourcesEndToEndTests.waitFor(15) {
            try await Self.psql(connection, "SELECT string_agg(id, ',' ORDER BY id) FROM entries") == "b,d"
        }, "\(app.logTail)")
        let shown = try await Self.show(app, "books")
        #expect(shown["set_aside"] as? Int == 1, "\(shown)")
        #expect(((shown["set_aside_effects"] as? [[String: Any]])?.first?["error"] as? String)?.contains("23514") == true, "\(shown)")
    }

    /// The server process that serves the worker's session stops (SIGSTOP) with the server still up: the
    /// write waiting on it fails after `statementSeconds`, and the pump carries it on a new session.
    @Test func aSessionThatStopsAnsweringIsReplacedAndOutlivesNoServer() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop")
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        let connection = try await Self.connection(app, "shop")
        #expect(try await app.post("/Shop/place_order", ResourcesEndToEndTests.order("o1")).status == 200)
        #expect(try await ResourcesEndToEndTests.waitFor(15) { try await Self.psql(connection, "SELECT COUNT(*) FROM orders") == "1" }, "\(app.logTail)")
        let sessions = try await Self.psql(connection, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
        let worker = try #require(pid_t(sessions), "sessions: \(sessions)")
        kill(worker, SIGSTOP)

        #expect(try await app.post("/Shop/place_order", ResourcesEndToEndTests.order("o2")).status == 200)
        #expect(try await ResourcesEndToEndTests.waitFor(50) { try await Self.psql(connection, "SELECT COUNT(*) FROM orders") == "2" }, "\(app.logTail)")
        #expect(app.logTail.contains("the server did not answer within 30 s"), "\(app.logTail)")

        // The server dies while that process is still stopped: it would hold the server's shared memory for good,
        // and no new server could start. The supervisor ends what the server started, then starts a new one.
        let server = try #require(try await ResourcesEndToEndTests.resources(app)["shop"]?["pid"].flatMap { pid_t($0) })
        kill(server, SIGKILL)
        #expect(try await app.post("/Shop/place_order", ResourcesEndToEndTests.order("o3")).status == 200)
        #expect(try await ResourcesEndToEndTests.waitFor(40) { try await Self.psql(connection, "SELECT COUNT(*) FROM orders") == "3" }, "\(app.logTail)")
        #expect(kill(worker, 0) != 0 || ProcessTable.isZombie(worker))  // a zombie nobody reaped yet has exited
        let resources = try await ResourcesEndToEndTests.resources(app)
        #expect(resources["shop"]?["restarts"] == "1" && resources["shop"]?["state"] == "ready", "\(resources)")
    }

    @Test func killingTheSupervisorWhileItProvisionsLeavesExactlyOneReadyDatabase() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop")
        defer { app.finish() }
        let launching = Task { try await app.launch() }
        // soma's notes are written just before initdb runs: the supervisor dies in the middle of making the cluster.
        #expect(try await ResourcesEndToEndTests.waitFor(30) { FileManager.default.fileExists(atPath: "\(app.appHome)/resources/shop/server.json") }, "\(app.logTail)")
        let supervisors = LaunchedApp.processes(under: app.appHome).filter {
            ((try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8)) ?? "").contains("supervise")
        }
        #expect(!supervisors.isEmpty)
        for pid in supervisors { kill(pid, SIGKILL) }
        _ = try await launching.value
        let interrupted = app.postgresClusters

        let relaunched = try await app.launch()
        #expect(relaunched.status == 0, "\(relaunched.error)")
        let resources = try await ResourcesEndToEndTests.resources(app)
        #expect(resources.count == 2 && resources["shop"]?["state"] == "ready", "\(resources)")
        let clusters = app.postgresClusters
        #expect(clusters.count == 1)
        // The cluster the killed supervisor was making is the one in use, or gone: none is left behind. (Other
        // tests running meanwhile have clusters of their own, so the folder of all clusters is not counted.)
        for folder in interrupted where !clusters.contains(folder) {
            #expect(!FileManager.default.fileExists(atPath: folder), "left behind: \(folder)")
        }
        #expect(try await app.post("/Shop/place_order", ResourcesEndToEndTests.order("o1")).status == 200)
        let connection = try await Self.connection(app, "shop")
        #expect(try await ResourcesEndToEndTests.waitFor(15) { try await Self.psql(connection, "SELECT COUNT(*) FROM orders") == "1" }, "\(app.logTail)")
    }

    @Test func noPostgresInstalledFailsClearlyAndARetrySucceeds() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop")
        defer { app.finish() }
        app.environment["SOMA_POSTGRES_BIN"] = "/nonexistent/postgresql/bin"
        let failed = try await app.launch()
        #expect(failed.status == 1)
        #expect(failed.error.contains("provisioning database 'shop' failed") && failed.error.contains("PostgreSQL is not installed"), "\(failed.error)")
        #expect(try await ResourcesEndToEndTests.resources(app)["shop"]?["state"] == "failed")
        #expect(!FileManager.default.fileExists(atPath: "\(app.appHome)/resources/shop"))

        app.environment["SOMA_POSTGRES_BIN"] = nil
        _ = try await app.soma("stop")
        let retried = try await app.launch()
        #expect(retried.status == 0, "\(retried.error)")
        #expect(try await ResourcesEndToEndTests.resources(app)["shop"]?["state"] == "ready")
    }

    @Test func aPortClashFailsClearlyAndARetrySucceedsOnceItIsFree() async throws {
        let listener = try TCPListener()
        let app = try LaunchedApp(Self.shop, name: "shop", config: "[resources.shop]\nport = \(listener.port)\n")
        defer { app.finish() }
        let failed = try await app.launch()
        #expect(failed.status == 1)
        #expect(failed.error.contains("provisioning database 'shop' failed") && failed.error.contains("port \(listener.port) on 127.0.0.1 is in use"),
                "\(failed.error)")
        #expect(try await ResourcesEndToEndTests.resources(app)["shop"]?["state"] == "failed")
        #expect(!FileManager.default.fileExists(atPath: "\(app.appHome)/resources/shop"))

        listener.close()
        _ = try await app.soma("stop")
        let retried = try await app.launch()
        #expect(retried.status == 0, "\(retried.error)")
        #expect(try await Self.connection(app, "shop").contains(":\(listener.port)/"))
    }
}

/// A TCP port held by a listener of the test's own, as another program would hold it.
final class TCPListener: @unchecked Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound, listen(descriptor, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}
