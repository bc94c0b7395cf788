import SomaDiagnostics
import SomaSyntax

extension Checker {
    /// `@version(n)` needs a chain of `migrate` steps 1→2→…→n, each one version at a time.
    mutating func checkVersions() {
        var steps: [String: [Int: MigrateDeclaration]] = [:]
        var reverseSteps: [String: Set<Int>] = [:]
        var gapped: Set<String> = []
        for case .migrate(let migration) in declarations {
            guard let declaration = typeDeclarations[migration.typeName], !isAlias(declaration) else {
                if typeDeclarations[migration.typeName] == nil {
                    _ = unknownType(migration.typeName, migration.typeSpan)
                } else {
                    error(.migrationType, "'\(migration.typeName)' is an alias: migrate the type it names", at: migration.typeSpan)
                }
                continue
            }
            let current = declaration.version ?? 1
            if migration.isReverse {
                // A reverse step (`from 2 to 1`) lets `soma rollback` bring stored values back to an older version.
                if migration.to != migration.from - 1 || migration.to < 1 {
                    error(.versionGap, "a migration back goes one version at a time: from \(migration.from) to \(migration.from - 1), not to \(migration.to)",
                          at: migration.span)
                } else if migration.from > current {
                    error(.versionGap, "'\(migration.typeName)' is at version \(current), so there is no version \(migration.from) to migrate back from",
                          at: migration.span)
                } else if reverseSteps[migration.typeName]?.contains(migration.from) == true {
                    error(.duplicate, "'\(migration.typeName)' already has a migration from \(migration.from) to \(migration.to)", at: migration.span)
                } else {
                    reverseSteps[migration.typeName, default: []].insert(migration.from)
                }
                continue
            }
            if migration.from < 1 || migration.to != migration.from + 1 {
                gapped.insert(migration.typeName)
                error(.versionGap, "a migration goes one version at a time: from \(migration.from) to \(migration.from + 1), not to \(migration.to)",
                      at: migration.span, hint: "write one step for each version, as in 'migrate \(migration.typeName) from \(migration.from) to \(migration.from + 1)'")
                continue
            }
            if migration.to > current {
                gapped.insert(migration.typeName)
                error(.versionGap, "'\(migration.typeName)' is at version \(current), so there is no version \(migration.to) to migrate to", at: migration.span,
                      hint: "declare 'type \(migration.typeName) @version(\(migration.to)) = …'")
                continue
            }
            if steps[migration.typeName]?[migration.from] != nil {
                error(.duplicate, "'\(migration.typeName)' already has a migration from \(migration.from) to \(migration.to)", at: migration.span)
                continue
            }
            steps[migration.typeName, default: [:]][migration.from] = migration
        }
        for case .type(let declaration) in declarations where typeDeclarations[declaration.name]?.nameSpan == declaration.nameSpan {
            let version = declaration.version ?? 1
            guard version > 1, !gapped.contains(declaration.name) else { continue }
            let missing = (1..<version).filter { steps[declaration.name]?[$0] == nil }
            guard !missing.isEmpty else { continue }
            error(.missingMigration, "'\(declaration.name)' is at version \(version), but nothing migrates it from version \(missing.map(String.init).joined(separator: ", "))",
                  at: declaration.nameSpan,
                  hint: "add \(missing.map { "'migrate \(declaration.name) from \($0) to \($0 + 1) = fn(old) -> \(declaration.name) { … }'" }.joined(separator: " and "))")
        }
    }

    /// Types each migration: `old` has the old shape when the old program is known (`--against`), else Json;
    /// the last step must give the current type.
    mutating func checkMigrations() {
        for case .migrate(let migration) in declarations {
            guard let declaration = typeDeclarations[migration.typeName], !isAlias(declaration) else { continue }
            let current = declaration.version ?? 1
            guard migration.isReverse ? migration.from <= current && migration.to == migration.from - 1 && migration.to >= 1 : migration.to == migration.from + 1 && migration.to <= current else { continue }
            guard case .lambda(let parameters, let resultSyntax, let body) = migration.function.kind else {
                check(migration.function, expected: nil)
                error(.migrationType, "a migration is a function of the old value: fn(old) -> \(migration.typeName) { … }", at: migration.function.span)
                continue
            }
            guard parameters.count == 1 else {
                error(.arity, "a migration takes one parameter, the old value", at: migration.function.span)
                continue
            }
            let snapshot = snapshotKeys[migration.typeName]
            var oldType = SomaType.json
            var resultType = SomaType.json
            if migration.isReverse {
                // Back from the current version (or Json from a later one) to the older shape when it is known.
                if migration.from == current { oldType = .named(migration.typeName) }
                if let snapshot, snapshot == "\(migration.typeName)@\(migration.to)" { resultType = .named(snapshot) }
            } else {
                if let snapshot, snapshot == "\(migration.typeName)@\(migration.from)" { oldType = .named(snapshot) }
                if migration.to == current { resultType = .named(migration.typeName) }
            }
            if let written = parameters[0].type { oldType = resolve(written) }
            if let resultSyntax {
                let written = resolve(resultSyntax)
                if written != .named(migration.typeName) && written != .unknown {
                    error(.migrationType, "a migration of '\(migration.typeName)' must give a '\(migration.typeName)', not \(written)", at: resultSyntax.span)
                    resultType = .unknown
                }
            }
            context = BodyContext(kind: .migration, cell: nil, result: nil)
            scopes = [[parameters[0].name: Local(type: oldType, mutable: false)]]
            switch body.kind {
            case .record, .update, .block:
                check(body, expected: resultType)
            default:
                let produced = check(body, expected: nil)
                if !table.isAssignable(produced, to: resultType) {
                    error(.migrationType, "this migration gives \(produced), but must give \(migration.typeName) (version \(migration.to))", at: body.span)
                }
            }
            scopes = []
        }
    }

    /// `migrate state Cell.machine { old => new }`: the new state must exist; with the old program known, so must the old one.
    mutating func checkStateMigrations() {
        for case .migrateState(let migration) in declarations {
            guard let cell = cells[migration.cell] else {
                error(.unknownName, "unknown cell '\(migration.cell)'", at: migration.span, hint: Self.suggestion(for: migration.cell, among: Array(cells.keys)))
                continue
            }
            guard let machine = cell.machine(migration.machine) else {
                error(.unknownName, "cell '\(migration.cell)' has no state machine '\(migration.machine)'", at: migration.span,
                      hint: Self.suggestion(for: migration.machine, among: cell.machines.map(\.name)))
                continue
            }
            let oldStates = oldMachineStates(cell: migration.cell, machine: migration.machine)
            for rename in migration.renames {
                if !machine.states.contains(rename.to) {
                    error(.unknownState, "state machine '\(migration.machine)' has no state '\(rename.to)'", at: rename.span,
                          hint: Self.suggestion(for: rename.to, among: machine.states))
                }
                // A rename the running version has already been through (it has the new state, not the old) is kept
                // for a rollback to reverse; only a rename from a state nobody has is an error.
                if let oldStates, !oldStates.contains(rename.from), !oldStates.contains(rename.to) {
                    error(.unknownState, "the running version's '\(migration.machine)' has no state '\(rename.from)'", at: rename.span,
                          hint: Self.suggestion(for: rename.from, among: Array(oldStates)))
                }
            }
        }
    }

    func oldMachineStates(cell: String, machine: String) -> Set<String>? {
        guard let oldDeclarations, !isRollback else { return nil }
        for case .cell(let declaration) in oldDeclarations where declaration.name == cell {
            if let found = declaration.stateMachines.first(where: { $0.name == machine }) { return Set(found.states.map(\.name)) }
        }
        return nil
    }
}
