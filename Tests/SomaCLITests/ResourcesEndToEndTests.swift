import Foundation
import SomaControl
import SomaProtocol
import Subprocess
import Testing
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Resources with the real binary: a real queue process, a real SQLite database read by the `sqlite3` shell.
@Suite(.serialized) struct ResourcesEndToEndTests {
    static func order(_ id: String) -> String {
        #"{"order": {"id": "\#(id)", "buyer": "ada", "items": [{"sku": "tea", "qty": 2, "price": 3.5}], "total": 7.0}}"#
    }

    /// `sqlite3 FILE SQL`, the shell a user would reach for.
    static func sqlite3(_ file: String, _ sql: String) async throws -> String {
        let result = try await Subprocess.run(.name("sqlite3"), arguments: [file, sql], output: .string(limit: 1 << 20), error: .discarded)
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func waitFor(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    static func resources(_ app: LaunchedApp) async throws -> [String: [String: String]] {
        let listed = try await app.soma("resources", "list", "--json")
        // Each value as text for comparing, nulls left out; the JSON Schema test checks the types.
        let objects = (try? JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]]) ?? []
        let rows = objects.map { object in
            object.compactMapValues { value -> String? in value is NSNull ? nil : (value as? String) ?? "\(value)" }
        }
        return Dictionary(rows.map { ($0["name"] ?? "", $0) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func shopOrdersFlowThroughTheOutboxIntoTheDatabase() async throws {
        let app = try LaunchedApp(LaunchEndToEndTests.shop, name: "shop")
        defer { app.finish() }

        let launched = try await app.launch()
        #expect(launched.status == 0, "\(launched.error)")
        #expect(launched.output.contains("provisioned  outbox (QueueService<Order>, queue)"))
        #expect(launched.output.contains("shop    Database<ShopDb> sqlite ready"))
        let database = "\(app.appHome)/resources/shop/shop.sqlite"

        for index in 1...20 {
            #expect(try await app.post("/Shop/place_order", Self.order("o\(index)")).status == 200)
        }
        #expect(try await Self.waitFor(10) { try await Self.sqlite3(database, "SELECT COUNT(*) FROM orders") == "20" }, "\(app.logTail)")
        #expect(try await Self.sqlite3(database, "SELECT id, buyer, items, total FROM orders WHERE id = 'o7'")
                == #"o7|ada|[{"price":3.5,"qty":2,"sku":"tea"}]|7.0"#)

        // The queue's process dies: it is restarted, counted, and nothing acknowledged is lost.
        var resources = try await Self.resources(app)
        let queuePID = try #require(resources["outbox"]?["pid"].flatMap { pid_t($0) })
        kill(queuePID, SIGKILL)
        for index in 21...30 {
            #expect(try await app.post("/Shop/place_order", Self.order("o\(index)")).status == 200)
        }
        #expect(try await Self.waitFor(10) { try await Self.sqlite3(database, "SELECT COUNT(*) FROM orders") == "30" }, "\(app.logTail)")
        resources = try await Self.resources(app)
        #expect(resources["outbox"]?["restarts"] == "1" && resources["outbox"]?["state"] == "ready")
        #expect(resources["outbox"]?["pid"] != String(queuePID))
        #expect(resources["outbox"]?["size"] == "0")

        // A resource the running program binds is not released.
        let refused = try await app.soma("resources", "release", "outbox")
        #expect(refused.status == 1 && refused.error.contains("bound by the running program"))

        // Resources outlive `soma stop` and come back with the relaunch, data intact.
        #expect(try await app.soma("stop").status == 0)
        // The supervisor's services stop in order: the worker (its turns drain), then the queue's process.
        let log = try await app.soma("logs", "--lines", "400").output
        let workerStopped = try #require(log.range(of: "worker info stopped", options: .backwards), "\(log)")
        let queueStopped = try #require(log.range(of: "queue 'outbox' stopped", options: .backwards), "\(log)")
        let supervisorExited = try #require(log.range(of: "supervisor exiting", options: .backwards), "\(log)")
        #expect(workerStopped.lowerBound < queueStopped.lowerBound && queueStopped.lowerBound < supervisorExited.lowerBound, "\(log)")
        resources = try await Self.resources(app)
        #expect(resources["outbox"]?["state"] == "ready" && resources["shop"]?["state"] == "ready" && resources["outbox"]?["pid"] == nil)
        #expect(try await app.launch().status == 0)
        #expect(try await app.post("/Shop/place_order", Self.order("o31")).status == 200)
        #expect(try await Self.waitFor(10) { try await Self.sqlite3(database, "SELECT COUNT(*) FROM orders") == "31" }, "\(app.logTail)")
        #expect(try await Self.resources(app).count == 2)

        // Only release ends them: the data is archived.
        #expect(try await app.soma("stop").status == 0)
        let released = try await app.soma("resources", "release", "shop")
        #expect(released.status == 0 && released.output.contains("archived"))
        #expect(try await Self.resources(app)["shop"]?["state"] == "released")
        let archived = try FileManager.default.contentsOfDirectory(atPath: "\(app.appHome)/archive")
        #expect(archived.count == 1 && archived[0].hasPrefix("shop-"))
        #expect(try await Self.sqlite3("\(app.appHome)/archive/\(archived[0])/shop.sqlite", "SELECT COUNT(*) FROM orders") == "31")
    }

    /// A row the database itself refuses (here a user's trigger) fails for good: it is set aside with its error,
    /// shown by `status` and `resources show`, and the rows behind it still arrive, then and after a restart.
    @Test func aRowTheDatabaseRefusesIsSetAsideAndTheRowsBehindItFlow() async throws {
        let app = try LaunchedApp(LaunchEndToEndTests.shop, name: "shop")
        defer { app.finish() }
        let launched = try await app.launch()
        #expect(launched.status == 0, "\(launched.error)")
        let database = "\(app.appHome)/resources/shop/shop.sqlite"
        _ = try await Self.sqlite3(database, "CREATE TRIGGER no_bad BEFORE INSERT ON orders WHEN NEW.id = 'bad' BEGIN SELECT RAISE(ABORT, 'no bad orders'); END;")
        for id in ["o1", "bad", "o2"] {
            #expect(try await app.post("/Shop/place_order", Self.order(id)).status == 200)
        }
        #expect(try await Self.waitFor(15) { try await Self.sqlite3(database, "SELECT group_concat(id) FROM orders") == "o1,o2" }, "\(app.logTail)")
        let shown = try await PostgresEndToEndTests.show(app, "shop")
        #expect(shown["set_aside"] as? Int == 1, "\(shown)")
        let effects = shown["set_aside_effects"] as? [[String: Any]] ?? []
        #expect((effects.first?["error"] as? String)?.contains("no bad orders") == true, "\(effects)")
        #expect((effects.first?["payload"] as? String)?.contains("bad") == true)
        let status = try await app.soma("status", "--json")
        #expect(status.output.contains(#""set_aside":1"#), "\(status.output)")

        // Every SQLite file of the app, and its WAL, is its owner's alone.
        let files = (FileManager.default.enumerator(atPath: app.appHome)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".sqlite") || $0.hasSuffix(".sqlite-wal") }
        #expect(files.contains("ledger.sqlite") && files.contains("state/state.sqlite") && files.contains { $0.contains("outbox") }, "\(files)")
        for file in files {
            let mode = (try FileManager.default.attributesOfItem(atPath: "\(app.appHome)/\(file)")[.posixPermissions] as? Int) ?? 0
            #expect(mode == 0o600, "\(file) is \(String(mode, radix: 8))")
        }
        #expect(try await app.soma("status").output.contains("set aside"))

        // Set aside for good: a restart does not try it again, and what comes after it still flows.
        #expect(try await app.soma("stop").status == 0)
        #expect(try await app.launch().status == 0)
        #expect(try await app.post("/Shop/place_order", Self.order("o3")).status == 200)
        #expect(try await Self.waitFor(15) { try await Self.sqlite3(database, "SELECT COUNT(*) FROM orders") == "3" }, "\(app.logTail)")
        #expect(try await PostgresEndToEndTests.show(app, "shop")["set_aside"] as? Int == 1)
    }

    static let jobs = """
        type Job = { id: String, text: String }
        cell Jobs {
          face {
            signal submit(id: String, text: String) -> String
            signal done() -> Int
            signal waiting() -> Int
          }
          memory { finished: Map<String, String> [persistent] }
          let work = QueueService<Job>("work", max_attempts: 2, visibility: 200ms, retry_base: 100ms, retry_cap: 1s)
          on submit(id: String, text: String) {
            work.push(Job { id: id, text: text })
            if text == "abort" { fail("aborted after the push") }
            id
          }
          on work(job: Job) {
            if job.text == "poison" { fail("cannot do \\(job.id)") }
            finished.set(job.id, job.text.upper())
          }
          on done() { finished.count() }
          on waiting() { work.size() }
        }
        """

    @Test func pushIsDeliveredOnlyIfTheTurnCommitsAndPoisonGoesToTheDeadLetters() async throws {
        let app = try LaunchedApp(Self.jobs, name: "jobs")
        defer { app.finish() }
        #expect(try await app.launch().status == 0)

        #expect(try await app.soma("send", "Jobs.submit", #"{"id": "a", "text": "x"}"#).status == 0)
        #expect(try await app.soma("send", "Jobs.submit", #"{"id": "b", "text": "abort"}"#).status == 1)
        #expect(try await app.soma("send", "Jobs.submit", #"{"id": "p", "text": "poison"}"#).status == 0)
        #expect(try await Self.waitFor(10) {
            try await Self.resources(app)["work"]?["dead_letters"] == "1"
        })
        #expect(try await app.soma("send", "Jobs.done").output == "1\n")
        #expect(try await app.soma("send", "Jobs.waiting").output == "0\n")
        let shown = try await app.soma("resources", "show", "work")
        #expect(shown.output.contains("dead letters (newest first):") && shown.output.contains(#""text":"poison""#))
        #expect(shown.output.contains("attempts 2"))

        // Each attempt's error is kept: the dead letter says why it died, and /metrics and the list count it.
        let letters = try await app.soma("resources", "dead-letters", "work", "--json")
        let parsed = (try? JSONSerialization.jsonObject(with: Data(letters.output.utf8)) as? [[String: Any]]) ?? []
        #expect(parsed.first?["id"] != nil && (parsed.first?["last_error"] as? String)?.contains("cannot do p") == true, "\(letters.output)")
        #expect(try await app.get("/metrics").body.contains(#"soma_queue_dead_letters{queue="work"} 1"#))
        #expect(try await app.soma("resources", "list").output.contains("0 msg, 1 dead"))
        // The supervisor reads them where the queue lives (control 3.2): the CLI needs none of the app's files.
        let control = ControlClient(path: AppHome(somaHome: app.somaHome, name: app.name).controlSocket)
        let inspection = try await control.inspect("work", deadLetters: 5)
        #expect(inspection.stats?.dead == 1 && inspection.deadLetters.map(\.attempts) == [2], "\(inspection)")
        await #expect(throws: ProtocolFailure.self) { try await control.inspect("nothing", deadLetters: 1) }

        // Replayed, it is consumed again; still poison, it dies again with its attempts counted anew.
        #expect(try await app.soma("resources", "replay", "work").status == 2, "--id or --all is needed")
        let replayed = try await app.soma("resources", "replay", "work", "--all")
        #expect(replayed.status == 0 && replayed.output.contains("replayed 1 message"), "\(replayed.output) \(replayed.error)")
        #expect(try await app.soma("resources", "replay", "work", "--id", "nope").status == 1)
        #expect(try await Self.waitFor(10) { try await Self.resources(app)["work"]?["dead_letters"] == "1" })
        #expect(app.logTail.contains("attempt 2"), "consumed twice more after the replay")
        #expect(app.logTail.contains("replayed 1 dead letter into queue work"), "the supervisor replayed it")
    }

    @Test func aQueueProcessThatStopsAnsweringIsKilledAndReplaced() async throws {
        let app = try LaunchedApp(Self.jobs, name: "jobs")
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        let hung = try #require(try await Self.resources(app)["work"]?["pid"].flatMap { pid_t($0) })
        kill(hung, SIGSTOP)  // alive, accepting connections, answering nothing
        #expect(try await app.soma("send", "Jobs.submit", #"{"id": "a", "text": "x"}"#).status == 0)
        #expect(try await Self.waitFor(20) { try await app.soma("send", "Jobs.done").output == "1\n" }, "\(app.logTail)")
        let work = try await Self.resources(app)["work"]
        #expect(work?["restarts"] == "1" && work?["pid"] != String(hung) && work?["state"] == "ready")
        #expect(try await app.soma("logs").output.contains("has not answered 3 health checks"))
    }

    @Test func aProvisioningFailureIsReportedAndARetrySucceeds() async throws {
        let app = try LaunchedApp(Self.jobs, name: "jobs")
        defer { app.finish() }
        // Something that is not the queue's folder stands where its data must go.
        let blocker = "\(app.appHome)/resources/work"
        try FileManager.default.createDirectory(atPath: "\(app.appHome)/resources", withIntermediateDirectories: true)
        try "not a queue".write(toFile: blocker, atomically: true, encoding: .utf8)

        let failed = try await app.launch()
        #expect(failed.status == 1)
        #expect(failed.error.contains("provisioning queue 'work' failed"), "\(failed.error)")
        #expect(failed.error.contains("cannot make the folder \(blocker)"), "the cause, in words: \(failed.error)")
        #expect(try await Self.resources(app)["work"]?["state"] == "failed")
        #expect(try String(contentsOfFile: blocker, encoding: .utf8) == "not a queue")

        try FileManager.default.removeItem(atPath: blocker)
        let retried = try await app.launch()
        #expect(retried.status == 0, "\(retried.error)")
        let resources = try await Self.resources(app)
        #expect(resources.count == 1 && resources["work"]?["state"] == "ready")
        #expect(try await app.soma("send", "Jobs.submit", #"{"id": "a", "text": "x"}"#).status == 0)
        #expect(try await Self.waitFor(10) { try await app.soma("send", "Jobs.done").output == "1\n" }, "\(app.logTail)")
    }

    @Test func aRowLeftProvisioningByACrashIsReconciledIntoOneResource() async throws {
        let app = try LaunchedApp(LaunchEndToEndTests.shop, name: "shop")
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        #expect(try await app.soma("stop").status == 0)
        // As a supervisor killed mid-provisioning leaves it: the intent recorded, the database file not made yet.
        _ = try await Self.sqlite3("\(app.appHome)/ledger.sqlite", "UPDATE resources SET state = 'provisioning', endpoint = NULL")
        try FileManager.default.removeItem(atPath: "\(app.appHome)/resources/shop/shop.sqlite")

        #expect(try await app.launch().status == 0)
        let resources = try await Self.resources(app)
        #expect(resources.count == 2 && resources.values.allSatisfy { $0["state"] == "ready" })
        #expect(try await Self.sqlite3("\(app.appHome)/ledger.sqlite", "SELECT COUNT(*) FROM resources") == "2")
        #expect(try await app.post("/Shop/place_order", Self.order("r1")).status == 200)
        #expect(try await Self.waitFor(10) {
            try await Self.sqlite3("\(app.appHome)/resources/shop/shop.sqlite", "SELECT COUNT(*) FROM orders") == "1"
        })
    }

    static let tenants = """
        type Note = { id: String, text: String }
        type TenantDb = { notes: Table<Note> }
        cell Tenants {
          face {
            signal add(tenant: String, id: String, text: String) -> Int
            signal texts(tenant: String) -> List<String>
          }
          on add(tenant: String, id: String, text: String) {
            let db = Database<TenantDb>("tenant-" + tenant)
            db.notes.put(Note { id: id, text: text })
            db.notes.count()
          }
          on texts(tenant: String) {
            let db = Database<TenantDb>("tenant-" + tenant)
            db.sql("SELECT text FROM notes ORDER BY id").map(fn(row) -> String(row.text))
          }
        }
        """

    @Test func aConstructorInAHandlerProvisionsOneDatabasePerName() async throws {
        let app = try LaunchedApp(Self.tenants, name: "tenants")
        defer { app.finish() }
        let launched = try await app.launch()
        #expect(launched.status == 0 && launched.output.contains("resources   none"), "\(launched.output)")

        #expect(try await app.soma("send", "Tenants.add", #"{"tenant": "acme", "id": "1", "text": "hello"}"#).output == "1\n")
        #expect(try await app.soma("send", "Tenants.add", #"{"tenant": "acme", "id": "2", "text": "again"}"#).output == "2\n")
        #expect(try await app.soma("send", "Tenants.add", #"{"tenant": "globex", "id": "1", "text": "other"}"#).output == "1\n")
        let texts = try await app.soma("send", "Tenants.texts", #"{"tenant": "acme"}"#)
        #expect(texts.output == #"["hello","again"]"# + "\n", "\(texts.output) \(texts.error)")
        let resources = try await Self.resources(app)
        #expect(Set(resources.keys) == ["tenant-acme", "tenant-globex"])
        #expect(try await Self.sqlite3("\(app.appHome)/resources/tenant-acme/tenant-acme.sqlite", "SELECT COUNT(*) FROM notes") == "2")

        // A name that cannot be a resource aborts the turn and provisions nothing.
        let bad = try await app.soma("send", "Tenants.add", #"{"tenant": "a/b", "id": "1", "text": "x"}"#)
        #expect(bad.status == 1 && bad.error.contains("valid name"))
        #expect(try await Self.resources(app).count == 2)
    }

    /// A tenant's database was provisioned by a handler; a write committed to it was not applied before the
    /// worker died. The next worker reopens that database (its bindings do not name it) and applies the write.
    @Test func aStoredEffectOnADynamicResourceIsCarriedOutAfterARestart() async throws {
        let app = try LaunchedApp(Self.tenants, name: "tenants")
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        #expect(try await app.soma("send", "Tenants.add", #"{"tenant": "acme", "id": "1", "text": "hello"}"#).status == 0)
        #expect(try await app.soma("stop").status == 0)
        // What a crash between the commit and the pump leaves: the effect stored with the turn, not applied.
        _ = try await Self.sqlite3("\(app.appHome)/state/state.sqlite",
                                   #"INSERT INTO pending_effects (id, resource, operation, payload) VALUES (99, 'tenant-acme', 'put', 'notes\#u{0A}{"id":"2","text":"after the crash"}')"#)
        #expect(try await app.launch().status == 0)
        let database = "\(app.appHome)/resources/tenant-acme/tenant-acme.sqlite"
        #expect(try await Self.waitFor(10) { try await Self.sqlite3(database, "SELECT text FROM notes WHERE id = '2'") == "after the crash" }, "\(app.logTail)")
        #expect(try await Self.waitFor(10) { try await Self.sqlite3("\(app.appHome)/state/state.sqlite", "SELECT COUNT(*) FROM pending_effects") == "0" }, "\(app.logTail)")
    }
}
