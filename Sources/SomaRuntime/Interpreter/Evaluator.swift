import SomaChecker
import SomaDiagnostics
import SomaSyntax

/// Runs handlers, invariants, functions and lambdas over the syntax tree, using the checker's types where the
/// syntax alone does not say what to build (`[]`, `{ ... }`, a bare variant case). One evaluator per turn.
final class Evaluator {
    let program: RuntimeProgram?
    let codec: ValueCodec
    let types: TypeTable
    let expressionTypes: [Int: SomaType]
    let coercions: [Int: SomaType]
    let functions: [String: FunctionDeclaration]
    let sources: SourceMap
    /// The turn's memory; nil for pure code (field defaults, functions evaluated at load).
    var turn: TurnState?
    /// While the cell's invariants are evaluated: the sums and counts memory keeps, by where they are written.
    var aggregateSites: [SourceSpan: RuntimeProgram.Aggregate]?
    /// The worker's open resources; nil for pure code.
    var resources: ResourceSet?
    var scopes: [Scope] = [Scope()]
    /// Scopes left by blocks and loop bodies that no lambda captured, kept for the next block: a loop would
    /// otherwise allocate and free a scope and its storage on every iteration.
    private var spareScopes: [Scope] = []
    var steps = 0
    var budget: Int
    /// Set for a turn running away from its lane: reaching `budget` (then the inline limit) sends the turn back
    /// to its lane instead of aborting it.
    var budgetSendsToLane = false

    init(program: RuntimeProgram?, codec: ValueCodec, types: TypeTable, expressionTypes: [Int: SomaType],
         coercions: [Int: SomaType], functions: [String: FunctionDeclaration], sources: SourceMap, budget: Int) {
        self.program = program
        self.codec = codec
        self.types = types
        self.expressionTypes = expressionTypes
        self.coercions = coercions
        self.functions = functions
        self.sources = sources
        self.budget = budget
    }

    convenience init(program: RuntimeProgram, turn: TurnState?) {
        self.init(program: program, codec: program.codec, types: program.types, expressionTypes: program.expressionTypes,
                  coercions: program.coercions, functions: program.functions, sources: program.sources, budget: program.stepBudget)
        self.turn = turn
        self.resources = turn?.context.resources
    }

    // MARK: - Errors

    func location(_ span: SourceSpan) -> String? {
        guard let file = sources.file(span.file) else { return nil }
        let position = file.position(of: span.start)
        return "\(file.path):\(position.line):\(position.column)"
    }

    func runtimeError(_ message: String, at span: SourceSpan) -> TurnError {
        TurnError(.runtime, message, at: location(span))
    }

    @inline(__always) func step(_ span: SourceSpan) throws {
        steps += 1
        if steps > budget { throw overBudget(at: span) }
    }

    /// What reaching the budget means: the end of the turn, or, away from its lane, a return to it.
    func overBudget(at span: SourceSpan) -> any Error {
        if budgetSendsToLane { return LaneRequired() }
        return TurnError(.stepBudget, "the turn took more than \(budget) steps", at: location(span))
    }

    // MARK: - Scopes

    func lookupLocal(_ name: String) -> Value? {
        for scope in scopes.reversed() {
            if let value = scope.lookup(name) { return value }
        }
        return nil
    }

    func withScope<T>(_ body: () throws -> T) rethrows -> T {
        pushScope()
        defer { popScope() }
        return try body()
    }

    private func pushScope() {
        scopes.append(spareScopes.popLast() ?? Scope())
    }

    /// Drops the innermost scope, and keeps it for reuse unless a lambda still holds it.
    private func popScope() {
        var scope = scopes.removeLast()
        guard isKnownUniquelyReferenced(&scope) else { return }
        scope.clear()
        spareScopes.append(scope)
    }

    // MARK: - Statements

    func run(_ block: Block) throws -> Value {
        try withScope { try runStatements(block) }
    }

    func runStatements(_ block: Block) throws -> Value {
        var last: Value = .unit
        for statement in block.statements {
            last = try execute(statement)
        }
        return last
    }

    func execute(_ statement: Statement) throws -> Value {
        try step(statement.span)
        switch statement.kind {
        case .binding(let name, _, _, let value, let mutable):
            scopes[scopes.count - 1].declare(name, try evaluate(value), mutable: mutable)
            return .unit
        case .assign(let target, let value):
            try assign(target, try evaluate(value), span: statement.span)
            return .unit
        case .forIn(let name, _, let sequence, let body):
            let collection = try evaluate(sequence)
            let elements: [Value]
            switch collection {
            case .list(let items): elements = items
            case .set(let items): elements = items.sorted(by: Value.precedes)
            case .map(let entries): elements = entries.keys.sorted(by: Value.precedes)
            case .null: elements = []
            default: throw runtimeError("cannot iterate over \(collection.typeName)", at: sequence.span)
            }
            for element in elements {
                try withScope {
                    scopes[scopes.count - 1].declare(name, element)
                    _ = try runStatements(body)
                }
            }
            return .unit
        case .send(let cell, let signal, let arguments, let targetSpan):
            guard let turn else { throw runtimeError("send outside a turn", at: statement.span) }
            let values = try signalArguments(cell: cell, signal: signal, arguments: arguments, span: targetSpan)
            turn.send(cell: cell, signal: signal, arguments: values)
            return .unit
        case .assert(let condition, let message):
            guard case .bool(let holds) = try evaluate(condition) else {
                throw runtimeError("assert needs a Bool", at: condition.span)
            }
            if !holds {
                let text = try message.map { try display(try evaluate($0)) } ?? "assertion failed"
                throw TurnError(.assert, text, at: location(statement.span))
            }
            return .unit
        case .expression(let expression):
            return try evaluate(expression)
        }
    }

    func assign(_ target: SomaSyntax.Expression, _ value: Value, span: SourceSpan) throws {
        guard case .name(let name) = target.kind else {
            throw runtimeError("only variables and scalar memory slots can be assigned", at: span)
        }
        for scope in scopes.reversed() {
            if let assigned = scope.assign(name, value) {
                if !assigned { throw runtimeError("'\(name)' is a let", at: span) }
                return
            }
        }
        if let turn, turn.cell.model.slot(name) != nil {
            try turn.writeScalar(name, value)
            return
        }
        throw runtimeError("unknown variable '\(name)'", at: span)
    }

    // MARK: - Expressions

    func evaluate(_ expression: SomaSyntax.Expression) throws -> Value {
        if let sites = aggregateSites, let aggregate = sites[expression.span], case .call = expression.kind, let turn,
           let kept = try turn.aggregate(aggregate, evaluator: self) {
            try step(expression.span)
            return .int(kept)
        }
        let value = try evaluateUnchecked(expression)
        guard !coercions.isEmpty, let type = coercions[expression.id] else { return value }
        return try conform(value, to: type, from: expression)
    }

    private func evaluateUnchecked(_ expression: SomaSyntax.Expression) throws -> Value {
        try step(expression.span)
        switch expression.kind {
        case .int(let int): return .int(int)
        case .float(let double): return .float(double)
        case .bool(let bool): return .bool(bool)
        case .duration(let milliseconds): return .duration(milliseconds)
        case .string(let parts):
            var text = ""
            for part in parts {
                switch part {
                case .text(let chunk): text += chunk
                case .interpolation(let inner): text += try display(try evaluate(inner))
                }
            }
            return .string(text)
        case .name(let name):
            return try resolveName(name, expression)
        case .member(let base, let name, let nameSpan):
            return try member(base, name, nameSpan: nameSpan, expression: expression)
        case .call(let callee, _, let arguments):
            return try call(callee, arguments: arguments, expression: expression)
        case .unary(let op, let operand):
            let value = try evaluate(operand)
            switch (op, value) {
            case (.not, .bool(let bool)): return .bool(!bool)
            case (.negate, .int(let int)):
                guard int != Int.min else { throw runtimeError("integer overflow in -\(int)", at: expression.span) }
                return .int(-int)
            case (.negate, .float(let double)): return .float(-double)
            case (.negate, .duration(let milliseconds)): return .duration(-milliseconds)
            default: throw runtimeError("cannot apply \(op.rawValue) to \(value.typeName)", at: expression.span)
            }
        case .binary(let op, let left, let right):
            return try binary(op, left, right, span: expression.span)
        case .list(let items):
            let values = try items.map { try evaluate($0) }
            if case .set = expressionTypes[expression.id] { return .set(Set(values)) }
            return .list(values)
        case .map(let entries):
            var map: [Value: Value] = [:]
            for entry in entries {
                map[try evaluate(entry.key)] = try evaluate(entry.value)
            }
            return .map(map)
        case .record(let typeName, let fields):
            return try record(typeName: typeName, fields: fields, expression: expression)
        case .update(let base, let fields):
            return try update(base, fields: fields, expression: expression)
        case .block(let block):
            return try run(block)
        case .ifElse(let condition, let then, let otherwise):
            guard case .bool(let holds) = try evaluate(condition) else {
                throw runtimeError("if needs a Bool", at: condition.span)
            }
            if holds { return try run(then) }
            return try otherwise.map { try evaluate($0) } ?? .unit
        case .match(let scrutinee, let arms):
            let value = try evaluate(scrutinee)
            for arm in arms {
                pushScope()
                defer { popScope() }
                if try matches(arm.pattern, value, scope: scopes[scopes.count - 1]) {
                    return try evaluate(arm.body)
                }
            }
            throw runtimeError("no case of this match fits \(try display(value))", at: expression.span)
        case .lambda(let parameters, _, let body):
            return .function(Closure(parameters: parameters.map(\.name), body: body, captured: scopes))
        case .callSignal(let cell, let signal, let arguments, let targetSpan):
            guard let turn else { throw runtimeError("call outside a turn", at: expression.span) }
            let values = try signalArguments(cell: cell, signal: signal, arguments: arguments, span: targetSpan)
            return try turn.call(cell: cell, signal: signal, arguments: values, location: location(expression.span))
        case .some(let inner):
            return .some(try evaluate(inner))
        case .none:
            return .none
        case .fail(let message):
            throw TurnError(.fail, try display(try evaluate(message)), at: location(expression.span))
        case .return(let value):
            throw ReturnSignal(value: try value.map { try evaluate($0) } ?? .unit)
        case .invalid:
            throw runtimeError("this expression did not parse", at: expression.span)
        }
    }

    func resolveName(_ name: String, _ expression: SomaSyntax.Expression) throws -> Value {
        if let local = lookupLocal(name) { return local }
        if let turn {
            if turn.cell.model.slot(name) != nil { return try turn.readSlot(name, evaluator: self, span: expression.span) }
            if turn.cell.model.machine(name) != nil { return .machine(cell: turn.cell.model.name, name: name) }
            if let resource = turn.cell.model.resource(name) {
                return .resource(kind: resource.kind.rawValue, name: resource.name ?? name)
            }
        }
        if case .named(let key)? = expressionTypes[expression.id], let named = types[key], named.variantCase(name) != nil {
            return .variant(type: key, name: name, fields: try caseDefaults(key, name))
        }
        if let owner = types.caseOwners[name]?.first {
            return .variant(type: owner, name: name, fields: try caseDefaults(owner, name))
        }
        throw runtimeError("unknown name '\(name)'", at: expression.span)
    }

    func caseDefaults(_ typeKey: String, _ caseName: String) throws -> [String: Value] {
        var fields: [String: Value] = [:]
        for field in types[typeKey]?.variantCase(caseName)?.fields ?? [] {
            fields[field.name] = codec.defaults[typeKey]?[field.name] ?? Value.none
        }
        return fields
    }

    func member(_ base: SomaSyntax.Expression, _ name: String, nameSpan: SourceSpan, expression: SomaSyntax.Expression) throws -> Value {
        if case .name(let typeName) = base.kind, lookupLocal(typeName) == nil, let named = types[typeName], named.variantCase(name) != nil {
            return .variant(type: typeName, name: name, fields: try caseDefaults(typeName, name))
        }
        let value = try evaluate(base)
        switch value {
        case .record(let typeKey, let fields):
            if let field = fields[name] { return field }
            if let real = types[typeKey]?.fields.first(where: { $0.alias == name }), let field = fields[real.name] { return field }
            throw runtimeError("\(typeKey) has no field '\(name)'", at: nameSpan)
        case .map(let entries):
            return entries[.string(name)] ?? .null
        case .resource(let kind, let database) where kind == "Database":
            return .table(database: database, table: name)
        case .null:
            throw shapeError(of: base, "'\(name)' of null", at: nameSpan)
        default:
            throw shapeError(of: base, "\(value.typeName) has no field '\(name)'", at: nameSpan)
        }
    }

    // MARK: - Records

    func recordType(of expression: SomaSyntax.Expression, named typeName: String?) -> NamedType? {
        if case .named(let key)? = expressionTypes[expression.id], let named = types[key], named.isRecord { return named }
        if let typeName, let named = types[typeName] { return named }
        return nil
    }

    func record(typeName: String?, fields: [FieldInit], expression: SomaSyntax.Expression) throws -> Value {
        var values: [String: Value] = [:]
        for field in fields {
            values[field.name] = try evaluate(field.value)
        }
        guard let named = recordType(of: expression, named: typeName) else {
            // A record where only Json was expected: a document.
            var entries: [Value: Value] = [:]
            for (name, value) in values { entries[.string(name)] = value }
            return .map(entries)
        }
        return .record(type: named.key, fields: try complete(values, for: named, span: expression.span))
    }

    /// Fills omitted fields with their default or None, and keeps only the fields the type declares.
    func complete(_ values: [String: Value], for named: NamedType, span: SourceSpan) throws -> [String: Value] {
        var result: [String: Value] = [:]
        for field in named.fields {
            if let value = values[field.name] ?? field.alias.flatMap({ values[$0] }) {
                result[field.name] = value
            } else if let fallback = codec.defaults[named.key]?[field.name] {
                result[field.name] = fallback
            } else if field.type.optionWrapped != nil {
                result[field.name] = Value.none
            } else {
                throw runtimeError("\(named.name) needs field '\(field.name)'", at: span)
            }
        }
        return result
    }

    func update(_ base: SomaSyntax.Expression, fields: [FieldInit], expression: SomaSyntax.Expression) throws -> Value {
        let original = try evaluate(base)
        var values: [String: Value]
        switch original {
        case .record(_, let existing): values = existing
        case .map(let entries):
            values = [:]
            for (key, value) in entries { if case .string(let name) = key { values[name] = value } }
        default: throw runtimeError("cannot update \(original.typeName) like a record", at: base.span)
        }
        for field in fields {
            values[field.name] = try evaluate(field.value)
        }
        if let named = recordType(of: expression, named: nil) {
            do {
                return .record(type: named.key, fields: try complete(values, for: named, span: expression.span))
            } catch let error as TurnError where expressionTypes[base.id]?.isDynamic ?? false {
                throw shapeError(of: base, error.message, at: expression.span)
            }
        }
        if case .record(let typeKey, _) = original { return .record(type: typeKey, fields: values) }
        var entries: [Value: Value] = [:]
        for (name, value) in values { entries[.string(name)] = value }
        return .map(entries)
    }

    // MARK: - Text

    /// The text form of a value: strings as they are, everything else as its JSON.
    func display(_ value: Value) throws -> String {
        switch value {
        case .string(let string): return string
        case .int(let int): return String(int)
        case .float(let double): return String(double)
        case .bool(let bool): return bool ? "true" : "false"
        case .some(let inner): return try display(inner)
        case .none, .null: return "None"
        case .unit: return "()"
        case .duration(let milliseconds): return "\(milliseconds)ms"
        case .variant(_, let name, let fields) where fields.isEmpty: return name
        default: return codec.encode(value, as: .json)
        }
    }
}
