import Foundation
import GRDB
import SomaProtocol

extension Ledger {
    static let resourceColumns = """
        name, kind, element, element_version, provider, host, engine, options, requested_by_version,
        state, endpoint, data_path, pid, restarts, failure, attempts, created_at, updated_at, served_by_process
        """

    /// A resource row, with the paths into the app home read against where the home is now. A kind or an
    /// engine this soma does not know is an error naming the row, not a guess.
    func resourceRecord(_ row: Row) throws -> ResourceRecord {
        let relocation = HomeRelocation(home: (path as NSString).deletingLastPathComponent)
        let name: String = row[0]
        let kindText: String = row[1], engineText: String = row[6]
        guard let kind = ResourceKind(rawValue: kindText), let engine = ResourceEngine(rawValue: engineText) else {
            throw LedgerError(code: "unknown-resource-kind", "resource '\(name)' in the ledger is a \(kindText) of engine '\(engineText)', which this soma does not know")
        }
        let optionsText: String = row[7]
        guard let options = try? JSONDocument(text: optionsText) else {
            throw LedgerError(code: "unreadable-resource-options", "resource '\(name)' in the ledger has options that are not JSON: \(optionsText.prefix(80))")
        }
        let request = ResourceRequest(name: name, kind: kind, engine: engine, element: row[2], elementVersion: row[3], options: options,
                                      host: row[5], provider: row[4])
        return ResourceRecord(
            intent: ResourceIntent(request, requestedByVersion: row[8]),
            state: row[9], endpoint: relocation.rebase(row[10]).map { Endpoint(address: $0, engine: engine) }, dataPath: relocation.rebase(row[11]), pid: row[12], restarts: row[13],
            failure: row[14], attempts: row[15], servedByProcess: row[18], createdAt: row[16], updatedAt: row[17])
    }

    public func resources() throws(LedgerError) -> [ResourceRecord] {
        try read("reading resources") { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.resourceColumns) FROM resources ORDER BY name").map(resourceRecord)
        }
    }

    public func resource(_ name: String) throws(LedgerError) -> ResourceRecord? {
        try read("reading resource '\(name)'") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.resourceColumns) FROM resources WHERE name = ?", arguments: [name]).map(resourceRecord)
        }
    }

    /// Records the intent to provision, before the provider acts. A name already in the ledger is the same
    /// resource: a `ready` one is returned as it is; a `failed` or `released` one goes back to `provisioning`
    /// (a retry); one left in `provisioning` by a crash is returned for reconciliation. A name bound to another
    /// kind or element type is refused.
    public func recordIntent(_ intent: ResourceIntent) throws(LedgerError) -> ResourceRecord {
        let existing = try resource(intent.name)
        if let existing {
            guard existing.intent.kind == intent.kind, existing.intent.element == intent.element else {
                throw LedgerError(code: "resource-mismatch",
                                  "resource '\(intent.name)' is a \(existing.intent.kind) of \(existing.intent.element); the program asks for a \(intent.kind) of \(intent.element)")
            }
        }
        return try write("recording the intent to provision '\(intent.name)'") { db -> ResourceRecord in
            let now = Self.now()
            switch existing?.state {
            case nil:
                try db.execute(sql: """
                    INSERT INTO resources (name, kind, element, element_version, provider, host, engine, options,
                      requested_by_version, state, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'provisioning', ?, ?)
                    """, arguments: [intent.name, intent.kind.rawValue, intent.element, intent.elementVersion, intent.provider,
                                     intent.host, intent.engine.rawValue, intent.options.text, intent.requestedByVersion, now, now])
            case "failed", "released", "orphaned":
                try db.execute(sql: """
                    UPDATE resources SET state = 'provisioning', element_version = ?, provider = ?, host = ?, engine = ?,
                      options = ?, requested_by_version = ?, failure = NULL, attempts = attempts + 1, updated_at = ?
                    WHERE name = ?
                    """, arguments: [intent.elementVersion, intent.provider, intent.host, intent.engine.rawValue, intent.options.text,
                                     intent.requestedByVersion, now, intent.name])
            default:
                break
            }
            return try Row.fetchOne(db, sql: "SELECT \(Self.resourceColumns) FROM resources WHERE name = ?",
                                    arguments: [intent.name]).map(resourceRecord)!
        }
    }

    /// The provider's outcome: the resource exists and answers at `endpoint`.
    public func resourceReady(_ name: String, endpoint: Endpoint, dataPath: String?, servedByProcess: Bool) throws(LedgerError) {
        try write("recording '\(name)' ready") { db in
            try db.execute(sql: """
                UPDATE resources SET state = 'ready', endpoint = ?, data_path = ?, served_by_process = ?, failure = NULL, updated_at = ?
                  WHERE name = ?
                """, arguments: [endpoint.address, dataPath, servedByProcess, Self.now(), name])
        }
    }

    public func resourceFailed(_ name: String, failure: String) throws(LedgerError) {
        try write("recording '\(name)' failed") { db in
            try db.execute(sql: "UPDATE resources SET state = 'failed', failure = ?, pid = NULL, updated_at = ? WHERE name = ?",
                           arguments: [failure, Self.now(), name])
        }
    }

    public func setResourceState(_ name: String, _ state: String, failure: String? = nil) throws(LedgerError) {
        try write("recording '\(name)' \(state)") { db in
            try db.execute(sql: "UPDATE resources SET state = ?, failure = ?, updated_at = ? WHERE name = ?",
                           arguments: [state, failure, Self.now(), name])
        }
    }

    /// The process serving a resource started (a restart when `countRestart`) or stopped (`pid` nil).
    public func resourceProcess(_ name: String, pid: Int32?, countRestart: Bool = false) throws(LedgerError) {
        try write("recording the process of '\(name)'") { db in
            try db.execute(sql: "UPDATE resources SET pid = ?, restarts = restarts + ?, updated_at = ? WHERE name = ?",
                           arguments: [pid, countRestart ? 1 : 0, Self.now(), name])
        }
    }
}
