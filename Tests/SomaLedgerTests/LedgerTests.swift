import Foundation
import GRDB
import SomaLedger
import SomaLedgerMigrations
import SomaProtocol
import Testing

@Suite struct LedgerTests {
    func temporaryPath() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soma-ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("ledger.sqlite").path
    }

    /// A home written by the first schema version is upgraded in place, its data intact.
    @Test func upgradesAHomeWrittenByTheFirstSchema() throws {
        let path = try temporaryPath()
        let old = try DatabaseQueue(path: path)
        try Ledger.migrator.migrate(old, upTo: LedgerMigrations.all[0].identifier)
        try old.write { db in
            try db.execute(sql: "INSERT INTO app (name, created_at, state, current_version, port) VALUES ('shop', '2026-01-01T00:00:00Z', 'stopped', 1, 8080)")
            try db.execute(sql: "INSERT INTO versions (number, hash, entry, created_at) VALUES (1, 'abc', 'app.cell', '2026-01-01T00:00:00Z')")
            try db.execute(sql: "INSERT INTO events (at, kind, detail) VALUES ('2026-01-01T00:00:00Z', 'launched', 'v1')")
        }
        try old.close()

        let ledger = try Ledger(path: path)
        let app = try #require(try ledger.app())
        #expect(app.name == "shop" && app.currentVersion == 1 && app.port == 8080 && app.failure == nil)
        // Hashes lost their leading zeros before 0007; they are 16 digits now, as launch computes them.
        #expect(try ledger.version(1)?.hash == "0000000000000abc")
        #expect(try ledger.events().map(\.kind) == ["launched"])
        try ledger.processStarted("worker", pid: 42, countRestart: false)
        try ledger.processStarted("worker", pid: 43, countRestart: true)
        let processes = try ledger.processes()
        #expect(processes.count == 1 && processes[0].pid == 43 && processes[0].restarts == 1)
    }

    /// Before 0008 the supervisor decided by kind and engine whether a process serves a resource; the step
    /// keeps that answer for the rows it finds, and from then on the provider's answer is kept.
    @Test func resourcesOfAnOlderHomeKeepWhetherAProcessServesThem() throws {
        let path = try temporaryPath()
        let old = try DatabaseQueue(path: path)
        try Ledger.migrator.migrate(old, upTo: "0007-hash-width")
        try old.write { db in
            for (name, kind, engine) in [("outbox", "queue", "queue"), ("shop", "database", "sqlite"), ("pg", "database", "postgres")] {
                try db.execute(sql: """
                    INSERT INTO resources (name, kind, element, element_version, provider, host, engine, options, requested_by_version,
                      state, created_at, updated_at) VALUES (?, ?, 'Order', 1, 'local', 'local', ?, '{}', 1, 'ready', 'then', 'then')
                    """, arguments: [name, kind, engine])
            }
        }
        try old.close()
        let ledger = try Ledger(path: path)
        #expect(try ledger.resources().map { "\($0.name) \($0.servedByProcess)" } == ["outbox true", "pg true", "shop false"])
        try ledger.resourceReady("shop", endpoint: .file(path: "/x/shop.sqlite"), dataPath: nil, servedByProcess: true)
        #expect(try ledger.resource("shop")?.servedByProcess == true)
    }

    @Test func refusesAHomeWrittenByANewerSoma() throws {
        let path = try temporaryPath()
        _ = try Ledger(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999-from-the-future')")
        }
        try queue.close()
        #expect(throws: LedgerError.self) { try Ledger(path: path) }
        do {
            _ = try Ledger(path: path)
        } catch {
            #expect(error.code == "ledger-newer")
            #expect(error.message.contains("newer soma"))
        }
    }

    /// A reading command opens the ledger read-only: it cannot write, it does not make a ledger that is not
    /// there, an older schema is upgraded first (the one write it makes), and a newer one is refused.
    @Test func aReaderOpensTheLedgerReadOnly() throws {
        let path = try temporaryPath()
        #expect(throws: LedgerError.self) { try Ledger(readingAt: path) }
        #expect(!FileManager.default.fileExists(atPath: path))

        let old = try DatabaseQueue(path: path)
        try Ledger.migrator.migrate(old, upTo: "0007-hash-width")
        try old.write { db in
            try db.execute(sql: "INSERT INTO app (name, created_at, state, current_version, port) VALUES ('shop', '2026-01-01T00:00:00Z', 'stopped', 1, 8080)")
        }
        try old.close()
        let reader = try Ledger(readingAt: path)
        #expect(try reader.app()?.port == 8080)
        #expect(try reader.resources().isEmpty, "read through the upgraded schema (0008 adds served_by_process)")
        #expect(throws: LedgerError.self) { try reader.processStarted("worker", pid: 1, countRestart: false) }

        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999-from-the-future')") }
        try queue.close()
        do {
            _ = try Ledger(readingAt: path)
            Issue.record("a ledger of a newer soma was read")
        } catch {
            #expect(error.code == "ledger-newer")
        }
    }

    func launch(expecting version: Int?, code: Bool = true, settings: LaunchOrder.Settings? = nil, port: Int = 8080) -> LaunchOrder {
        LaunchOrder(app: "shop", expectedVersion: version,
                    code: code ? ProgramCode(entry: "app.cell", files: [.init(path: "app.cell", content: Data("cell A {}".utf8))], hash: "00000000000000aa") : nil,
                    settings: settings, port: port, providerPaths: ["/opt/providers"], maxRestarts: 3, restartWindow: 20, holdFace: false)
    }

    /// The snapshot of every table a launch writes, to compare before and after a refused one.
    func contents(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            try ["app", "versions", "version_files", "events"].flatMap { table in
                try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map { "\(table): \($0)" }
            }
        }
    }

    @Test func aLaunchIsRecordedAllAtOnce() throws {
        let path = try temporaryPath()
        let ledger = try Ledger(path: path)
        #expect(try ledger.recordLaunch(launch(expecting: nil)) == 1)
        let app = try #require(try ledger.app())
        #expect(app.name == "shop" && app.currentVersion == 1 && app.port == 8080 && app.state == "starting")
        #expect(app.maxRestarts == 3 && app.restartWindow == 20 && app.providerPaths == ["/opt/providers"])
        #expect(try ledger.versionFiles(1).map(\.path) == ["app.cell"])

        // Only soma.toml changed: the version keeps its number and takes the new file and hash.
        let settings = LaunchOrder.Settings(path: "soma.toml", content: Data("[app]\nport = 9090\n".utf8), hash: "00000000000000bb")
        #expect(try ledger.recordLaunch(launch(expecting: 1, code: false, settings: settings, port: 9090)) == 1)
        #expect(try ledger.version(1)?.hash == "00000000000000bb" && ledger.app()?.port == 9090)
        #expect(try ledger.versionFiles(1).map(\.path).sorted() == ["app.cell", "soma.toml"])
        #expect(try ledger.events().map(\.kind) == ["settings"])
    }

    @Test func aLaunchMadeAgainstAnotherVersionOrWithoutCodeWritesNothing() throws {
        let path = try temporaryPath()
        let ledger = try Ledger(path: path)
        let empty = try contents(path)
        #expect(throws: LedgerError.self) { try ledger.recordLaunch(launch(expecting: nil, code: false)) }
        #expect(try contents(path) == empty, "a new app without its code")

        _ = try ledger.recordLaunch(launch(expecting: nil))
        let launched = try contents(path)
        do {
            _ = try ledger.recordLaunch(launch(expecting: nil, port: 9999))
            Issue.record("a second first launch was recorded")
        } catch {
            #expect(error.code == "conflict" && error.message.contains("version 1"), "\(error)")
        }
        #expect(throws: LedgerError.self) { try ledger.recordLaunch(launch(expecting: 7, port: 9999)) }
        #expect(try contents(path) == launched)
    }
}
