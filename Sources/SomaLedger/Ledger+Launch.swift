import Foundation
import GRDB
import SomaProtocol

extension Ledger {
    /// A launch's order, recorded all at once: it is checked against the current version the CLI decided on
    /// (another one by now is `conflict`), then the app, its first version or its version's new settings, the
    /// port, the providers, the restart intensity and the state `starting` are written in one transaction. A
    /// refused order writes nothing. Returns the version the app runs.
    public func recordLaunch(_ order: LaunchOrder) throws(LedgerError) -> Int {
        try write("recording the launch of \(order.app)") { db -> Int in
            let app = try Row.fetchOne(db, sql: "SELECT current_version FROM app")
            let current: Int? = app?[0]
            guard current == order.expectedVersion else {
                throw LedgerError(
                    code: "conflict",
                    "\(order.app) is at \(Self.describe(current)), not \(Self.describe(order.expectedVersion)) as this launch expected: another launch came first; nothing was changed")
            }
            if app == nil {
                try db.execute(sql: "INSERT INTO app (name, created_at, state, port) VALUES (?, ?, 'stopped', NULL)", arguments: [order.app, Self.now()])
            }
            let version: Int
            if let current {
                version = current
            } else {
                guard let code = order.code else {
                    throw LedgerError(code: "no-code", "the launch of the new app \(order.app) carries no code; nothing was changed")
                }
                version = try Self.insertVersion(db, code, state: "active")
                try db.execute(sql: "UPDATE app SET current_version = ?", arguments: [version])
            }
            if let settings = order.settings, let current {
                try db.execute(sql: "DELETE FROM version_files WHERE version = ? AND path = ?", arguments: [current, settings.path])
                if let content = settings.content {
                    try db.execute(sql: "INSERT INTO version_files (version, path, content) VALUES (?, ?, ?)", arguments: [current, settings.path, content])
                }
                try db.execute(sql: "UPDATE versions SET hash = ? WHERE number = ?", arguments: [settings.hash, current])
                try db.execute(sql: "INSERT INTO events (at, kind, detail) VALUES (?, 'settings', ?)",
                               arguments: [Self.now(), "soma.toml of version \(current) replaced at launch"])
            }
            let providers = String(decoding: try JSONEncoder().encode(order.providerPaths), as: UTF8.self)
            try db.execute(sql: """
                UPDATE app SET port = ?, provider_paths = ?, max_restarts = ?, restart_window = ?, state = 'starting', failure = NULL
                """, arguments: [order.port, providers, order.maxRestarts, order.restartWindow])
            return version
        }
    }

    static func describe(_ version: Int?) -> String {
        version.map { "version \($0)" } ?? "no version"
    }
}
