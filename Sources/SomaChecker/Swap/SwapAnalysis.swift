import SomaDiagnostics
import SomaSyntax

/// What a swap from the running version to a new one changes, found from the two programs alone
/// (LANGUAGE.md §10). Changes that are refused whatever the data are diagnostics; changes that are refused
/// only when live data is in the way are `conditions`, which the running program resolves against its data.
public struct SwapAnalysis: Sendable {
    /// A swap to a new version, or a rollback to the code of an earlier one (which must read what the later
    /// one stored, or bring it back with the later one's reverse migrations).
    public enum Direction: String, Sendable, Codable {
        case forward, rollback
    }

    public struct SlotChange: Sendable, Equatable {
        public enum Kind: String, Sendable, Codable {
            case added, removed, dropped, retyped, weakened, migrated
        }
        public var cell: String
        public var slot: String
        public var kind: Kind
        public var detail: String
    }

    public struct StateChange: Sendable, Equatable {
        public enum Kind: String, Sendable, Codable {
            case added, removed, renamed, machineAdded, machineRemoved
        }
        public var cell: String
        public var machine: String
        public var kind: Kind
        public var state: String
        /// For a rename: the state's new name.
        public var renamedTo: String?
    }

    public struct FaceChange: Sendable, Equatable {
        public enum Kind: String, Sendable, Codable {
            case added, removed, changed
        }
        public var cell: String
        public var signal: String
        public var kind: Kind
        public var detail: String
        public var breaking: Bool
        /// What callers send no longer has the shape they sent to the running version, or what they get back
        /// no longer has the shape they got: old clients may break even when no data does.
        public var acceptedShapeChanges = false
        public var returnedShapeChanges = false
        /// The running version's type of each parameter whose type is migrated (as keyed in the new program,
        /// `Order@1`): a body in that shape is read through the migration.
        public var previousParameters: [String: SomaType] = [:]

        public init(cell: String, signal: String, kind: Kind, detail: String, breaking: Bool) {
            self.cell = cell
            self.signal = signal
            self.kind = kind
            self.detail = detail
            self.breaking = breaking
        }
    }

    public struct ResourceChange: Sendable, Equatable {
        public enum Kind: String, Sendable, Codable {
            /// Bound by the new version only: provisioned by the swap.
            case added
            /// Bound by the old version only: kept, with its data, until released.
            case orphaned
            /// Its element type or schema changed.
            case changed
        }
        public var name: String
        public var kind: Kind
        public var type: String
        public var detail: String
    }

    /// A refusal that depends on live data: it holds when the named slot holds values, the machine has keys
    /// in the state, or the queue holds messages.
    public struct DataCondition: Sendable, Equatable {
        public enum Subject: Sendable, Equatable {
            case slotData(cell: String, slot: String)
            case liveKeys(cell: String, machine: String, state: String)
            case queueMessages(resource: String)
        }
        public var code: DiagnosticCode
        public var subject: Subject
        /// What changes, without the data ("the persistent slot 'Shop.placed' is gone from the new version").
        public var message: String
        public var hint: String
        public var span: SourceSpan

        /// The data that makes it a refusal, in words.
        public var dataNeeded: String {
            switch subject {
            case .slotData: return "it holds values"
            case .liveKeys: return "live keys are in it"
            case .queueMessages: return "the queue holds messages"
            }
        }
    }

    public var direction: Direction = .forward
    public var types: [TypeChange] = []
    public var slots: [SlotChange] = []
    public var states: [StateChange] = []
    public var face: [FaceChange] = []
    public var resources: [ResourceChange] = []
    public var conditions: [DataCondition] = []
    /// Refusals whatever the data: incompatible changes without a migration, face breaks.
    public var diagnostics: [Diagnostic] = []

    /// Whether anything but code changes.
    public var changesData: Bool {
        types.contains { $0.kind == .migrated } || slots.contains { $0.kind != .added } || states.contains { $0.kind == .renamed }
    }
}

extension SwapAnalysis {
    /// Compares the running version (`old`, checked on its own) with the new one (`new`, checked against it,
    /// so its type table holds the old shapes under `Name@version`).
    public init(old: CheckOutcome, new: CheckOutcome, direction: Direction = .forward) {
        self.direction = direction
        let comparison = ShapeComparison(table: new.types, direction: direction)
        var oldVersions: [String: Int] = [:]
        for (key, named) in old.types.types where !key.contains("@") { oldVersions[key] = named.version }
        let snapshot = { (type: SomaType) in type.snapshotted(versions: oldVersions) }

        var nameSpans: [String: SourceSpan] = [:]
        for case .type(let declaration) in new.program.declarations { nameSpans[declaration.name] = declaration.nameSpan }
        compareTypes(old: old, new: new, oldVersions: oldVersions, comparison: comparison, nameSpans: nameSpans)
        let newDeclarations = new.program.declarations
        for oldCell in old.cells {
            let newCell = new.cells.first { $0.name == oldCell.name }
            let declaration = newDeclarations.lazy.compactMap { if case .cell(let cell) = $0, cell.name == oldCell.name { return cell } else { return nil } }.first
            compareSlots(oldCell, newCell, drops: Set(declaration?.drops.map(\.name) ?? []), snapshot: snapshot, comparison: comparison,
                         fallbackSpan: newCell?.span ?? oldCell.span)
            var renames = stateRenames(in: newDeclarations, cell: oldCell.name)
            if direction == .rollback {
                for (machine, reversed) in Self.reversed(stateRenames(in: old.program.declarations, cell: oldCell.name)) {
                    renames[machine, default: [:]].merge(reversed) { own, _ in own }
                }
            }
            compareMachines(oldCell, newCell, renames: renames, fallbackSpan: newCell?.span ?? oldCell.span)
            compareFace(oldCell, newCell, snapshot: snapshot, comparison: comparison)
        }
        for newCell in new.cells where !old.cells.contains(where: { $0.name == newCell.name }) {
            for signal in newCell.signals {
                face.append(FaceChange(cell: newCell.name, signal: signal.name, kind: .added, detail: "new signal", breaking: false))
            }
            for slot in newCell.slots { slots.append(SlotChange(cell: newCell.name, slot: slot.name, kind: .added, detail: "new slot")) }
            for machine in newCell.machines {
                states.append(StateChange(cell: newCell.name, machine: machine.name, kind: .machineAdded, state: machine.states.first ?? ""))
            }
        }
        compareResources(old: old, new: new, snapshot: snapshot, comparison: comparison)
    }

    // MARK: - Types

    mutating func compareTypes(old: CheckOutcome, new: CheckOutcome, oldVersions: [String: Int], comparison: ShapeComparison,
                          nameSpans: [String: SourceSpan]) {
        let newNames = new.types.types.keys.filter { !$0.contains("@") }
        for name in Set(oldVersions.keys).union(newNames).sorted() {
            let oldVersion = oldVersions[name]
            let current = new.types[name]
            guard let oldVersion, let oldShape = new.types["\(name)@\(oldVersion)"] else {
                types.append(TypeChange(name: name, kind: .added, oldVersion: nil, newVersion: current?.version, details: [], span: current?.span))
                continue
            }
            guard let current else {
                types.append(TypeChange(name: name, kind: .removed, oldVersion: oldVersion, newVersion: nil, details: [], span: nil))
                continue
            }
            let (compatible, incompatible) = comparison.compare(old: oldShape, new: current)
            let at = nameSpans[name] ?? current.span
            if current.version > oldVersion {
                types.append(TypeChange(name: name, kind: .migrated, oldVersion: oldVersion, newVersion: current.version,
                                        details: incompatible + compatible, span: current.span))
            } else if current.version < oldVersion && direction == .rollback {
                let reverse = Self.reverseSteps(of: name, in: old.program.declarations)
                let missing = ((current.version + 1)...oldVersion).reversed().filter { !reverse.contains($0) }
                if missing.isEmpty {
                    types.append(TypeChange(name: name, kind: .migrated, oldVersion: oldVersion, newVersion: current.version,
                                            details: ["migrated back by the running version's 'migrate \(name) from \(oldVersion) to \(oldVersion - 1)'"]
                                                + incompatible + compatible, span: current.span))
                } else {
                    let why = incompatible.isEmpty ? "" : " (\(incompatible.joined(separator: "; ")))"
                    types.append(TypeChange(name: name, kind: .incompatible, oldVersion: oldVersion, newVersion: current.version,
                                            details: ["no migration back from \(missing[0]) to \(missing[0] - 1)"] + incompatible, span: current.span))
                    diagnostics.append(.error(.incompatibleChange,
                                              "'\(name)' is stored at version \(oldVersion), and version \(current.version) of it cannot read that\(why); the running version declares no 'migrate \(name) from \(missing[0]) to \(missing[0] - 1)'",
                                              at: at, hint: "swap to a version that adds 'migrate \(name) from \(missing[0]) to \(missing[0] - 1) = fn(old) -> \(name) { … }', then roll back"))
                }
            } else if current.version < oldVersion {
                types.append(TypeChange(name: name, kind: .incompatible, oldVersion: oldVersion, newVersion: current.version,
                                        details: ["version \(current.version) is older than the running version \(oldVersion)"], span: current.span))
                diagnostics.append(.error(.incompatibleChange, "'\(name)' is at version \(oldVersion) in the running program; a new version cannot go back to \(current.version)",
                                          at: at, hint: "declare 'type \(name) @version(\(oldVersion + 1))' with a migration from \(oldVersion)"))
            } else if !incompatible.isEmpty {
                types.append(TypeChange(name: name, kind: .incompatible, oldVersion: oldVersion, newVersion: current.version,
                                        details: incompatible + compatible, span: current.span))
                diagnostics.append(.error(.incompatibleChange, "'\(name)' changed in a way its stored values cannot be read: \(incompatible.joined(separator: "; "))",
                                          at: at,
                                          hint: "declare 'type \(name) @version(\(oldVersion + 1)) = …' and 'migrate \(name) from \(oldVersion) to \(oldVersion + 1) = fn(old) -> \(name) { … }'"))
            } else {
                types.append(TypeChange(name: name, kind: compatible.isEmpty ? .unchanged : .compatible, oldVersion: oldVersion,
                                        newVersion: current.version, details: compatible, span: current.span))
            }
        }
    }

    func typeChange(_ name: String) -> TypeChange? { types.first { $0.name == name } }

    /// The versions `n` of `migrate T from n to n-1` a program declares.
    static func reverseSteps(of name: String, in declarations: [Declaration]) -> Set<Int> {
        var found: Set<Int> = []
        for case .migrate(let migration) in declarations where migration.typeName == name && migration.isReverse { found.insert(migration.from) }
        return found
    }

    /// The named types a value of `type` may hold, through fields and cases: what a body or result carries.
    static func names(reachedFrom type: SomaType, in table: TypeTable) -> Set<String> {
        var found: Set<String> = []
        var work = [type]
        while let next = work.popLast() {
            switch next {
            case .named(let key):
                guard found.insert(TypeKey.name(key)).inserted, let named = table[TypeKey.name(key)] else { continue }
                switch named.shape {
                case .record(let fields): work += fields.map(\.type)
                case .variant(let cases): work += cases.flatMap { $0.fields.map(\.type) }
                }
            case .list(let inner), .set(let inner), .option(let inner), .queue(let inner), .table(let inner), .database(let inner):
                work.append(inner)
            case .map(let key, let value):
                work += [key, value]
            default:
                break
            }
        }
        return found
    }

    /// Whether a type (or one it contains) is migrated by this swap.
    func isMigrated(_ type: SomaType) -> Bool {
        type.mentions(anyOf: Set(types.filter { $0.kind == .migrated }.map(\.name)))
    }

    // MARK: - Memory

    mutating func compareSlots(_ oldCell: CellModel, _ newCell: CellModel?, drops: Set<String>, snapshot: (SomaType) -> SomaType,
                               comparison: ShapeComparison, fallbackSpan: SourceSpan) {
        for oldSlot in oldCell.slots {
            guard let newSlot = newCell?.slot(oldSlot.name) else {
                if drops.contains(oldSlot.name) {
                    slots.append(SlotChange(cell: oldCell.name, slot: oldSlot.name, kind: .dropped, detail: "dropped (drop \(oldSlot.name))"))
                } else {
                    slots.append(SlotChange(cell: oldCell.name, slot: oldSlot.name, kind: .removed, detail: "removed"))
                    if oldSlot.properties.isDurable {
                        conditions.append(DataCondition(
                            code: .slotDropped, subject: .slotData(cell: oldCell.name, slot: oldSlot.name),
                            message: "the persistent slot '\(oldCell.name).\(oldSlot.name)' is gone from the new version",
                            hint: direction == .rollback ? "the earlier version has no such slot: swap to a version that drops it ('drop \(oldSlot.name)'), then roll back"
                                : newCell == nil ? "keep the cell, or empty the slot before the swap"
                                : "write 'drop \(oldSlot.name)' in \(oldCell.name)'s memory section to discard its data",
                            span: fallbackSpan))
                    }
                }
                continue
            }
            let oldType = snapshot(oldSlot.type)
            switch comparison.verdict(oldType, newSlot.type) {
            case .incompatible(let reason):
                slots.append(SlotChange(cell: oldCell.name, slot: oldSlot.name, kind: .retyped, detail: reason))
                conditions.append(DataCondition(
                    code: .incompatibleChange, subject: .slotData(cell: oldCell.name, slot: oldSlot.name),
                    message: "the slot '\(oldCell.name).\(oldSlot.name)' changed type (\(reason))",
                    hint: "keep the slot's type, or add a new slot and 'drop \(oldSlot.name)'", span: newSlot.span))
            case .compatible(let note):
                slots.append(SlotChange(cell: oldCell.name, slot: oldSlot.name, kind: .retyped, detail: note))
            case .same:
                if isMigrated(newSlot.type) {
                    slots.append(SlotChange(cell: oldCell.name, slot: oldSlot.name, kind: .migrated, detail: "values migrated"))
                }
            }
            let before = oldSlot.properties, after = newSlot.properties
            var weakened: [String] = []
            if before.isDurable && !after.isDurable { weakened.append("persistent → ephemeral") }
            if before.consistent && !after.consistent { weakened.append("consistent → eventual") }
            if !weakened.isEmpty {
                let what = weakened.joined(separator: ", ")
                slots.append(SlotChange(cell: oldCell.name, slot: oldSlot.name, kind: .weakened, detail: what))
                conditions.append(DataCondition(
                    code: .slotWeakened, subject: .slotData(cell: oldCell.name, slot: oldSlot.name),
                    message: "the slot '\(oldCell.name).\(oldSlot.name)' is weakened (\(what))",
                    hint: "keep its properties, or move its data to a new slot and 'drop \(oldSlot.name)'", span: newSlot.propertySpan))
            }
        }
        for newSlot in newCell?.slots ?? [] where oldCell.slot(newSlot.name) == nil {
            slots.append(SlotChange(cell: oldCell.name, slot: newSlot.name, kind: .added, detail: "new slot"))
        }
    }

    // MARK: - State machines

    func stateRenames(in declarations: [Declaration], cell: String) -> [String: [String: String]] {
        var renames: [String: [String: String]] = [:]
        for case .migrateState(let migration) in declarations where migration.cell == cell {
            for rename in migration.renames { renames[migration.machine, default: [:]][rename.from] = rename.to }
        }
        return renames
    }

    /// A later version's renames, the other way round: `queued => pending` gives `pending => queued`, unless two
    /// states were merged into one (then there is no way back, and live keys there refuse the rollback).
    static func reversed(_ renames: [String: [String: String]]) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        for (machine, map) in renames {
            let targets = Dictionary(grouping: map, by: \.value)
            for (to, sources) in targets where sources.count == 1 { result[machine, default: [:]][to] = sources[0].key }
        }
        return result
    }

    mutating func compareMachines(_ oldCell: CellModel, _ newCell: CellModel?, renames: [String: [String: String]], fallbackSpan: SourceSpan) {
        for oldMachine in oldCell.machines {
            guard let newMachine = newCell?.machine(oldMachine.name) else {
                states.append(StateChange(cell: oldCell.name, machine: oldMachine.name, kind: .machineRemoved, state: ""))
                for state in oldMachine.states {
                    conditions.append(DataCondition(
                        code: .stateRemovedLive, subject: .liveKeys(cell: oldCell.name, machine: oldMachine.name, state: state),
                        message: "the state machine '\(oldCell.name).\(oldMachine.name)' is gone, with its state '\(state)'",
                        hint: "keep the machine until its keys are in final states", span: fallbackSpan))
                }
                continue
            }
            let renamed = renames[oldMachine.name] ?? [:]
            for state in oldMachine.states where !newMachine.states.contains(state) {
                if let target = renamed[state] {
                    states.append(StateChange(cell: oldCell.name, machine: oldMachine.name, kind: .renamed, state: state, renamedTo: target))
                } else {
                    states.append(StateChange(cell: oldCell.name, machine: oldMachine.name, kind: .removed, state: state))
                    conditions.append(DataCondition(
                        code: .stateRemovedLive, subject: .liveKeys(cell: oldCell.name, machine: oldMachine.name, state: state),
                        message: "the new version removes the state '\(state)' of '\(oldCell.name).\(oldMachine.name)'",
                        hint: "add 'migrate state \(oldCell.name).\(oldMachine.name) { \(state) => NEW }'", span: newMachine.declaration.nameSpan))
                }
            }
            for state in newMachine.states where !oldMachine.states.contains(state) && !renamed.values.contains(state) {
                states.append(StateChange(cell: oldCell.name, machine: oldMachine.name, kind: .added, state: state))
            }
        }
        for newMachine in newCell?.machines ?? [] where oldCell.machine(newMachine.name) == nil {
            states.append(StateChange(cell: oldCell.name, machine: newMachine.name, kind: .machineAdded, state: newMachine.states.first ?? ""))
        }
    }

    // MARK: - Face

    mutating func compareFace(_ oldCell: CellModel, _ newCell: CellModel?, snapshot: (SomaType) -> SomaType, comparison: ShapeComparison) {
        for oldSignal in oldCell.signals {
            guard let newCell, let newSignal = newCell.signal(oldSignal.name) else {
                face.append(FaceChange(cell: oldCell.name, signal: oldSignal.name, kind: .removed, detail: "removed", breaking: true))
                // Going back, the earlier face is the one its callers had before: a rollback takes the later signals away.
                guard direction == .forward else { continue }
                diagnostics.append(.error(.faceBreak, "the signal '\(oldCell.name).\(oldSignal.name)' is gone from the new version; its callers would get 404",
                                          at: newCell?.span ?? oldSignal.span, hint: "keep the signal (its handler may fail with a message saying what replaces it)"))
                continue
            }
            var breaks: [String] = []
            var notes: [String] = []
            var previousParameters: [String: SomaType] = [:]
            for parameter in oldSignal.parameters {
                guard let newParameter = newSignal.parameters.first(where: { $0.name == parameter.name }) else {
                    breaks.append("parameter '\(parameter.name)' removed")
                    continue
                }
                let reached = Self.names(reachedFrom: newParameter.type, in: comparison.table)
                judge(comparison.verdict(snapshot(parameter.type), newParameter.type), what: "parameter '\(parameter.name)'",
                      reached: reached, breaks: &breaks, notes: &notes)
                if reached.contains(where: { typeChange($0)?.kind == .migrated }) { previousParameters[parameter.name] = snapshot(parameter.type) }
            }
            for parameter in newSignal.parameters where !oldSignal.parameters.contains(where: { $0.name == parameter.name }) {
                if parameter.type.optionWrapped != nil {
                    notes.append("parameter '\(parameter.name)' added (Option)")
                } else {
                    breaks.append("parameter '\(parameter.name)' added, and callers do not send it")
                }
            }
            let accepted = notes.count
            judge(comparison.verdict(snapshot(oldSignal.result), newSignal.result), what: "result",
                  reached: Self.names(reachedFrom: newSignal.result, in: comparison.table), breaks: &breaks, notes: &notes)
            if !breaks.isEmpty {
                face.append(FaceChange(cell: oldCell.name, signal: oldSignal.name, kind: .changed, detail: (breaks + notes).joined(separator: "; "), breaking: true))
                if direction == .forward { diagnostics.append(.error(.faceBreak, "the signal '\(oldCell.name).\(oldSignal.name)' changed incompatibly for its callers: \(breaks.joined(separator: "; "))",
                                          at: newSignal.span, hint: "keep the old parameters (a new one may be an Option), or add a new signal beside it")) }
            } else if !notes.isEmpty {
                var change = FaceChange(cell: oldCell.name, signal: oldSignal.name, kind: .changed, detail: notes.joined(separator: "; "), breaking: false)
                change.acceptedShapeChanges = accepted > 0
                change.returnedShapeChanges = notes.count > accepted
                change.previousParameters = previousParameters
                face.append(change)
            }
        }
        for newSignal in newCell?.signals ?? [] where oldCell.signal(newSignal.name) == nil {
            face.append(FaceChange(cell: oldCell.name, signal: newSignal.name, kind: .added, detail: "new signal", breaking: false))
        }
    }

    /// A named type is judged by name; what changed inside the types it reaches (migrated, or read as it is)
    /// changes the shape on the wire all the same, and is named here.
    private func judge(_ verdict: ShapeVerdict, what: String, reached: Set<String>, breaks: inout [String], notes: inout [String]) {
        switch verdict {
        case .incompatible(let reason): breaks.append("\(what): \(reason)")
        case .compatible(let note): notes.append("\(what): \(note)")
        case .same:
            let changed = types.filter { ($0.kind == .migrated || $0.kind == .compatible) && reached.contains($0.name) }
            guard !changed.isEmpty else { return }
            let described = changed.map { change in
                change.kind == .migrated ? "\(change.name) \(change.oldVersion ?? 0) → \(change.newVersion ?? 0)"
                                         : "\(change.name) changed (\(change.details.joined(separator: ", ")))"
            }.joined(separator: ", ")
            notes.append("\(what): \(described)")
        }
    }

    // MARK: - Resources

    mutating func compareResources(old: CheckOutcome, new: CheckOutcome, snapshot: (SomaType) -> SomaType, comparison: ShapeComparison) {
        func byName(_ cells: [CellModel]) -> [String: ResourceModel] {
            var found: [String: ResourceModel] = [:]
            for cell in cells { for resource in cell.resources { if let name = resource.name { found[name] = resource } } }
            return found
        }
        let before = byName(old.cells), after = byName(new.cells)
        for (name, resource) in after.sorted(by: { $0.key < $1.key }) {
            guard let previous = before[name] else {
                resources.append(ResourceChange(name: name, kind: .added, type: resource.typeDescription, detail: "provisioned by the swap"))
                continue
            }
            let oldElement = snapshot(previous.element)
            switch comparison.verdict(oldElement, resource.element) {
            case .incompatible(let reason):
                resources.append(ResourceChange(name: name, kind: .changed, type: resource.typeDescription, detail: reason))
                if resource.kind == .queue {
                    conditions.append(DataCondition(
                        code: .queueTypeChange, subject: .queueMessages(resource: name),
                        message: "the queue '\(name)' changes its element type (\(reason))",
                        hint: "let the consumers empty it first, or keep the element type and version it with a migration", span: resource.span))
                } else {
                    diagnostics.append(.error(.incompatibleChange, "the database '\(name)' changes its schema incompatibly: \(reason)", at: resource.span,
                                              hint: "keep the schema type; change its tables' row types with @version and migrate"))
                }
            case .compatible(let note):
                resources.append(ResourceChange(name: name, kind: .changed, type: resource.typeDescription, detail: note))
            case .same:
                if resource.kind == .database, let detail = schemaChange(previous.element, resource.element, new: new.types, comparison: comparison) {
                    resources.append(ResourceChange(name: name, kind: .changed, type: resource.typeDescription, detail: detail))
                } else if isMigrated(resource.element) {
                    resources.append(ResourceChange(name: name, kind: .changed, type: resource.typeDescription,
                                                    detail: direction == .rollback ? "messages of the later version refuse the rollback until consumed"
                                                        : "messages of the old version are migrated as they are consumed"))
                }
            }
        }
        for (name, resource) in before.sorted(by: { $0.key < $1.key }) where after[name] == nil {
            resources.append(ResourceChange(name: name, kind: .orphaned, type: resource.typeDescription,
                                            detail: "no longer bound: kept with its data until 'soma resources release \(name)'"))
        }
    }

    /// Tables added, removed or with a migrated row type, in one line.
    func schemaChange(_ oldSchema: SomaType, _ newSchema: SomaType, new: TypeTable, comparison: ShapeComparison) -> String? {
        guard case .named(let oldName) = oldSchema, case .named(let newName) = newSchema,
              let oldVersion = typeChange(oldName)?.oldVersion, let before = new["\(oldName)@\(oldVersion)"], let after = new[newName] else { return nil }
        var parts: [String] = []
        for field in after.fields {
            guard let previous = before.field(field.name) else {
                parts.append("table '\(field.name)' added")
                continue
            }
            if isMigrated(field.type) {
                parts.append("rows of '\(field.name)' migrated")
            } else if case .table(.named(let row)) = field.type, let change = typeChange(row), change.kind == .compatible {
                parts.append("'\(field.name)': \(change.details.joined(separator: ", "))")
            } else if case .compatible(let note) = comparison.verdict(previous.type, field.type) {
                parts.append("'\(field.name)': \(note)")
            }
        }
        for field in before.fields where after.field(field.name) == nil { parts.append("table '\(field.name)' no longer used (kept)") }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
