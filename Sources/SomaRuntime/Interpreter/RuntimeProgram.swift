import SomaChecker
import SomaDiagnostics
import SomaSyntax

/// A checked program prepared for running: cells with their handlers by trigger, pure functions, the type
/// table and the codec. Immutable; a swap replaces it between turns.
public final class RuntimeProgram: Sendable {
    public struct CellProgram: Sendable {
        public var model: CellModel
        public var declaration: CellDeclaration
        public var handlers: [String: HandlerDeclaration]
        public var startHandler: HandlerDeclaration?
        public var timers: [HandlerDeclaration]
        public let invariants: [Invariant]
        public var slotInitializers: [String: SomaSyntax.Expression]
        /// Slots some invariant reads: a write to one must know the value it replaces.
        public let slotsReadByInvariants: Set<String>
        /// The sums and counts the cell's invariants read that memory keeps, by where each is written.
        public let aggregates: [SourceSpan: Aggregate]
        /// The same by name, once each (two invariants may read the same one).
        public let keptAggregates: [Aggregate]
        /// The Map slots with nothing behind them, held whole in memory: what the memory limit counts, on every
        /// commit that grows one, so found once here.
        let ephemeralMaps: [String]

        init(model: CellModel, declaration: CellDeclaration, handlers: [String: HandlerDeclaration], startHandler: HandlerDeclaration?,
             timers: [HandlerDeclaration], invariants: [Invariant], slotInitializers: [String: SomaSyntax.Expression], aggregates: [SourceSpan: Aggregate]) {
            (self.model, self.declaration, self.handlers, self.startHandler) = (model, declaration, handlers, startHandler)
            (self.timers, self.invariants, self.slotInitializers) = (timers, invariants, slotInitializers)
            slotsReadByInvariants = invariants.reduce(into: []) { $0.formUnion($1.reads.slots) }
            self.aggregates = aggregates
            var seen: Set<String> = []
            keptAggregates = aggregates.values.sorted { $0.name < $1.name }.filter { seen.insert($0.name).inserted }
            ephemeralMaps = model.slots.filter { $0.isMap && !$0.properties.isDurable }.map(\.name)
        }
    }

    /// A sum or count over a Map's values that memory keeps from each turn's writes (docs/state.md, "Invariants").
    public struct Aggregate: Sendable {
        public var model: AggregateModel
        /// What it is kept under in memory and in the store: what is summed or counted, and a hash of the
        /// program's code, so that no other build of the program trusts it.
        public var name: String
        /// Kept in the store with the slot's rows (not for an ephemeral slot).
        public var durable: Bool
        public var slot: String { model.slot }
    }

    /// 64-bit FNV-1a of the program's own files: what a kept aggregate's name ties it to.
    static func codeHash(_ outcome: CheckOutcome) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for unit in outcome.program.units {
            for byte in outcome.sources.file(unit.file)?.bytes ?? [] {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            hash = (hash ^ 0xff) &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    static func aggregates(of model: CellModel, sources: SourceMap, code: String) -> [SourceSpan: Aggregate] {
        var result: [SourceSpan: Aggregate] = [:]
        for invariant in model.invariants {
            for aggregate in invariant.aggregates {
                let text = sources.file(aggregate.span.file)?.text(aggregate.span) ?? ""
                result[aggregate.span] = Aggregate(model: aggregate, name: "\(aggregate.kind.rawValue) \(text) #\(code)",
                                                   durable: model.slot(aggregate.slot)?.properties.isDurable ?? false)
            }
        }
        return result
    }

    /// An invariant with what the checker found it reads.
    public struct Invariant: Sendable {
        public var declaration: InvariantDeclaration
        public var reads: InvariantReads
        public var name: String { declaration.name }
    }

    public let cells: [String: CellProgram]
    public let cellOrder: [String]
    public let functions: [String: FunctionDeclaration]
    /// `migrate T from n to n+1` by type name and n.
    public let migrations: [String: [Int: MigrateDeclaration]]
    /// `migrate T from n to n-1` by type name and n: what `soma rollback` runs to bring values back.
    public let reverseMigrations: [String: [Int: MigrateDeclaration]]
    /// `migrate state Cell.machine { old => new }` by cell, machine and old state.
    public let stateRenames: [String: [String: [String: String]]]
    public let types: TypeTable
    public let codec: ValueCodec
    public let expressionTypes: [Int: SomaType]
    /// Expressions whose Json value is checked against a static type when they run (the checker's coercions).
    public let coercions: [Int: SomaType]
    public let sources: SourceMap
    /// Evaluation steps one turn may take before it aborts: no turn runs forever.
    public let stepBudget: Int
    /// By `Cell.signal`: the type each parameter had in the version this one was checked against, where this
    /// version migrates it (`Order@1`). Old clients' bodies in that shape are read through the migration.
    public let previousParameters: [String: [String: SomaType]]

    /// A cell's invariants with what each reads. One the checker has no model of is evaluated after every turn.
    static func invariants(of cell: CellDeclaration, _ model: CellModel) -> [Invariant] {
        cell.invariants.enumerated().map { index, declaration in
            let found = model.invariants.indices.contains(index) && model.invariants[index].name == declaration.name
            return Invariant(declaration: declaration, reads: found ? model.invariants[index].reads : InvariantReads(outside: true))
        }
    }

    public init(outcome: CheckOutcome, stepBudget: Int = 1_000_000) {
        var cells: [String: CellProgram] = [:]
        var functions: [String: FunctionDeclaration] = [:]
        var typeDeclarations: [String: TypeDeclaration] = [:]
        var migrations: [String: [Int: MigrateDeclaration]] = [:]
        var reverseMigrations: [String: [Int: MigrateDeclaration]] = [:]
        var stateRenames: [String: [String: [String: String]]] = [:]
        let code = Self.codeHash(outcome)
        for declaration in outcome.program.declarations {
            switch declaration {
            case .cell(let cell):
                guard let model = outcome.cells.first(where: { $0.name == cell.name }) else { continue }
                var handlers: [String: HandlerDeclaration] = [:]
                var start: HandlerDeclaration?
                var timers: [HandlerDeclaration] = []
                for handler in cell.handlers {
                    switch handler.trigger {
                    case .signal(let name): handlers[name] = handler
                    case .start: start = handler
                    case .every: timers.append(handler)
                    }
                }
                var initializers: [String: SomaSyntax.Expression] = [:]
                for slot in cell.slots {
                    if let initial = slot.initialValue { initializers[slot.name] = initial }
                }
                cells[cell.name] = CellProgram(model: model, declaration: cell, handlers: handlers, startHandler: start,
                                               timers: timers, invariants: Self.invariants(of: cell, model), slotInitializers: initializers,
                                               aggregates: Self.aggregates(of: model, sources: outcome.sources, code: code))
            case .function(let function):
                functions[function.name] = function
            case .type(let type):
                typeDeclarations[type.name] = type
            case .migrate(let migration) where migration.isReverse:
                reverseMigrations[migration.typeName, default: [:]][migration.from] = migration
            case .migrate(let migration):
                migrations[migration.typeName, default: [:]][migration.from] = migration
            case .migrateState(let migration):
                for rename in migration.renames { stateRenames[migration.cell, default: [:]][migration.machine, default: [:]][rename.from] = rename.to }
            default:
                break
            }
        }
        self.cells = cells
        self.cellOrder = outcome.cells.map(\.name)
        self.functions = functions
        self.migrations = migrations
        self.reverseMigrations = reverseMigrations
        self.stateRenames = stateRenames
        self.types = outcome.types
        self.expressionTypes = outcome.expressionTypes
        self.coercions = outcome.coercions
        self.sources = outcome.sources
        self.stepBudget = stepBudget
        var previous: [String: [String: SomaType]] = [:]
        if let swap = outcome.swap, swap.direction == .forward {
            for change in swap.face where !change.previousParameters.isEmpty { previous["\(change.cell).\(change.signal)"] = change.previousParameters }
        }
        self.previousParameters = previous

        // Field defaults are constants: evaluate them once, with no cell in reach.
        var defaults: [String: [String: Value]] = [:]
        let bare = ValueCodec(types: outcome.types)
        let evaluator = Evaluator(program: nil, codec: bare, types: outcome.types, expressionTypes: outcome.expressionTypes,
                                  coercions: outcome.coercions, functions: functions, sources: outcome.sources, budget: stepBudget)
        for (name, declaration) in typeDeclarations {
            var fields: [FieldDeclaration] = []
            switch declaration.body {
            case .record(let recordFields): fields = recordFields
            case .variant(let cases): fields = cases.flatMap(\.fields)
            case .alias: break
            }
            for field in fields {
                if let initial = field.defaultValue, let value = try? evaluator.evaluate(initial) {
                    defaults[name, default: [:]][field.name] = value
                }
            }
        }
        self.codec = ValueCodec(types: outcome.types, defaults: defaults)
    }

    /// The version stored beside a value of this type: the version of the record or variant it holds.
    public func version(of type: SomaType) -> Int {
        switch type {
        case .named(let key): return types[key]?.version ?? 1
        case .list(let element), .set(let element), .option(let element): return version(of: element)
        case .map(_, let value): return version(of: value)
        default: return 1
        }
    }

    /// `type` as it was stored at `version`: the named type whose version `version(of:)` reads, at its shape
    /// of then (`Order@1`).
    public func type(_ type: SomaType, atVersion version: Int) -> SomaType {
        switch type {
        case .named(let key): return .named("\(TypeKey.name(key))@\(version)")
        case .list(let element): return .list(self.type(element, atVersion: version))
        case .set(let element): return .set(self.type(element, atVersion: version))
        case .option(let element): return .option(self.type(element, atVersion: version))
        case .map(let key, let value): return .map(key, self.type(value, atVersion: version))
        default: return type
        }
    }
}
