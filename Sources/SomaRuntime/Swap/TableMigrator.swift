import Foundation
import GRDB
import SomaChecker
import SomaProtocol
import SomaResources

/// Table rows in a swap: a database whose layout changes has its changed tables rebuilt, each row brought to the
/// new row type (migrated, or read as it is), in one transaction of that database. The layout the tables have
/// is kept in the database itself, so a worker that starts after the state's commit point finishes the job.
struct TableMigrator {
    /// One database whose tables a swap rebuilds.
    struct Migration {
        var name: String
        var schema: SomaType
        var oldLayout: DatabaseLayout
        var newLayout: DatabaseLayout
        var rebuilds: [TableRebuild]
        var isSQLite: Bool
    }

    unowned let engine: TurnEngine

    /// The databases of `program` whose stored layout differs from the one the program gives them; `previous`
    /// is the running program during a swap (its reverse migrations serve a rollback).
    func migrations(_ program: RuntimeProgram, previous: RuntimeProgram? = nil, affected: Set<String>) -> [Migration] {
        var found: [Migration] = []
        let upgrader = ValueUpgrader(program: program, previous: previous)
        for cellName in program.cellOrder {
            for model in program.cells[cellName]?.model.resources ?? [] where model.kind == .database {
                guard let name = model.name, !found.contains(where: { $0.name == name }), let handle = engine.resources.database(name),
                      let newLayout = DatabaseLayout(schema: model.element, types: program.types) else { continue }
                let stored = ((try? handle.tables.storedLayout()) ?? nil) ?? handle.layout
                var rebuilds: [TableRebuild] = []
                for table in newLayout.tables {
                    guard let old = stored.table(table.name) else { continue }
                    let changed = old.columns != table.columns || (old.version ?? 1) != (table.version ?? 1) || affected.contains(table.row)
                    guard changed else { continue }
                    rebuilds.append(TableRebuild(old: old, new: table, transform: rowTransform(old: old, new: table, program: program, upgrader: upgrader)))
                }
                let sameTables = Set(stored.tables.map(\.name)).isSuperset(of: newLayout.tables.map(\.name))
                guard !rebuilds.isEmpty || !sameTables else { continue }
                found.append(Migration(name: name, schema: model.element, oldLayout: stored, newLayout: newLayout, rebuilds: rebuilds,
                                            isSQLite: handle.tables is SQLiteTables))
            }
        }
        return found
    }

    /// An old row (its columns) → the new row's columns, through the JSON mapping and the value upgrader.
    func rowTransform(old: DatabaseLayout.Table, new: DatabaseLayout.Table, program: RuntimeProgram,
                      upgrader: ValueUpgrader) -> @Sendable ([DatabaseValue]) throws -> [DatabaseValue] {
        let oldKey = program.types["\(old.row)@\(old.version ?? 1)"] != nil ? "\(old.row)@\(old.version ?? 1)" : old.row
        let oldFields = Dictionary((program.types[oldKey]?.fields ?? []).map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
        let rows = TableRows(codec: program.codec, types: program.types, table: new, rowType: .named(new.row))
        return { values in
            var object: [String: JSONValue] = [:]
            for (column, stored) in zip(old.columns, values) {
                object[column.name] = try TableRows.json(stored, storage: column.storage, type: oldFields[column.name] ?? .json)
            }
            let value = try upgrader.upgrade(.object(object), from: .named(oldKey), to: .named(new.row), path: old.name)
            return try rows.columns(of: value)
        }
    }

    /// Rebuilds each database's tables on a copy, counting rows; the first failure as a refusal.
    func dryRun(_ migrations: [Migration], scratch: String, into plan: inout SwapPlan) {
        for migration in migrations {
            guard migration.isSQLite, let sqlite = engine.resources.database(migration.name)?.tables as? SQLiteTables else {
                plan.refusals.append(.init(code: "unsupported", message: "database '\(migration.name)' (postgres): a swap cannot change its tables yet",
                                           hint: "keep its schema unchanged in this version"))
                return
            }
            let path = (scratch as NSString).appendingPathComponent("swap-dry-run-\(migration.name).sqlite")
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            do {
                let copy = try sqlite.copy(to: path)
                defer { copy.close() }
                var rows = 0
                for rebuild in migration.rebuilds { rows += (try? copy.count(rebuild.old)) ?? 0 }
                try copy.rebuild(to: migration.newLayout, migration.rebuilds)
                plan.dryRunChecked += rows
                if let index = plan.resources.firstIndex(where: { $0.subject.hasPrefix("\(migration.name) ") }) { plan.resources[index].count = rows }
                for rebuild in migration.rebuilds {
                    let count = (try? copy.count(rebuild.new)) ?? 0
                    if let line = plan.migrations.firstIndex(where: { $0.what.hasPrefix("\(rebuild.new.row) ") }) { plan.migrations[line].rows += count }
                }
            } catch {
                plan.refusals.append(.init(code: "migration-fails", message: "migrating the tables of database '\(migration.name)' fails: \(error)",
                                           hint: "fix the migration and swap again; nothing was changed"))
                return
            }
        }
    }

    /// Rebuilds for real and gives the handles their new layout.
    func migrate(_ migrations: [Migration]) throws {
        for migration in migrations {
            guard let handle = engine.resources.database(migration.name) else { continue }
            try handle.tables.rebuild(to: migration.newLayout, migration.rebuilds)
            try engine.resources.relayout(migration.name, schema: migration.schema, layout: migration.newLayout)
        }
    }

    func restore(_ migrations: [Migration]) {
        for migration in migrations {
            guard let handle = engine.resources.database(migration.name) else { continue }
            try? handle.tables.restoreArchives(to: migration.oldLayout, migration.rebuilds)
            try? engine.resources.relayout(migration.name, schema: migration.schema, layout: migration.oldLayout)
        }
    }

    /// At start: archives a swap cut short by a crash left behind are of no use any more (only the swap's own
    /// process puts them back).
    func dropLeftoverArchives(_ program: RuntimeProgram) {
        for cellName in program.cellOrder {
            for model in program.cells[cellName]?.model.resources ?? [] where model.kind == .database {
                guard let name = model.name, let handle = engine.resources.database(name) else { continue }
                do {
                    try handle.tables.dropLeftoverArchives()
                } catch {
                    engine.log("\(error)")
                }
            }
        }
    }

    func dropArchives(_ migrations: [Migration]) {
        for migration in migrations {
            try? engine.resources.database(migration.name)?.tables.dropArchives(migration.rebuilds)
        }
    }
}
