import SomaDiagnostics
import SomaSyntax

extension Checker {
    /// A block's type is its last expression's; with `expected`, that expression is checked against it.
    mutating func inferBlock(_ block: Block, expected: SomaType?, discard: Bool = false) -> SomaType {
        withScope { checker in
            var diverged = false
            for (index, statement) in block.statements.enumerated() {
                let isLast = index == block.statements.count - 1
                if isLast, case .expression(let expression) = statement.kind {
                    if discard { checker.discardsNextValue = true }
                    let type = checker.check(expression, expected: expected)
                    return diverged ? .never : type
                }
                if checker.checkStatement(statement) == .never { diverged = true }
            }
            if diverged { return .never }
            if let expected, expected != .unit {
                let span = block.statements.last?.span ?? block.span
                checker.error(.typeMismatch, "expected a value of type \(expected), but the block ends without one", at: span,
                              hint: "end the block with an expression of type \(expected)")
                return expected
            }
            return .unit
        }
    }

    /// Checks a statement; `.never` when it cannot complete (`fail`, `return`).
    @discardableResult
    mutating func checkStatement(_ statement: Statement) -> SomaType {
        switch statement.kind {
        case .binding(let name, _, let typeSyntax, let value, let mutable):
            let declared = typeSyntax.map { resolve($0) }
            let type = check(value, expected: declared)
            if case .stateMachine = type {
                error(.typeMismatch, "a state machine cannot be bound to a name", at: value.span)
            }
            declare(name, declared ?? type, mutable: mutable)
            return type == .never ? .never : .unit
        case .assign(let target, let value):
            checkAssignment(target, value)
            return .unit
        case .forIn(let name, _, let sequence, let body):
            let sequenceType = check(sequence, expected: nil)
            let element: SomaType
            switch sequenceType {
            case .list(let inner), .set(let inner): element = inner
            case .map(let key, _): element = key
            case .json, .unknown: element = sequenceType
            default:
                error(.typeMismatch, "'for' runs over a List, Set or Map, not \(sequenceType)", at: sequence.span)
                element = .unknown
            }
            withScope { checker in
                checker.declare(name, element)
                _ = checker.inferBlock(body, expected: nil, discard: true)
            }
            return .unit
        case .send(let cell, let signal, let arguments, let targetSpan):
            requireEffects("'send'", at: statement.span)
            _ = signalCall(cell: cell, signal: signal, arguments: arguments, targetSpan: targetSpan, span: statement.span)
            return .unit
        case .assert(let condition, let message):
            check(condition, expected: .bool)
            if let message { check(message, expected: .string) }
            return .unit
        case .expression(let expression):
            return checkDiscarding(expression) == .never ? .never : .unit
        }
    }

    mutating func checkAssignment(_ target: Expression, _ value: Expression) {
        guard case .name(let name) = target.kind else {
            check(target, expected: nil)
            check(value, expected: nil)
            let hint: String? = if case .member = target.kind { "values are immutable: build a new one with { value | field = … }" } else { nil }
            error(.immutable, "only variables and scalar memory slots can be assigned", at: target.span, hint: hint)
            return
        }
        if let local = local(name) {
            check(value, expected: local.type)
            if !local.mutable {
                error(.immutable, "'\(name)' is a constant", at: target.span, hint: "declare it with 'var' to change it")
            }
            return
        }
        if let cell = currentCell, context.kind != .function, let slot = cell.slot(name) {
            check(value, expected: slot.type)
            if slot.isMap {
                error(.immutable, "map slot '\(name)' is changed with set and delete, not assigned", at: target.span,
                      hint: "write \(name).set(key, value)")
            } else {
                requireEffects("assigning '\(name)'", at: target.span)
            }
            return
        }
        check(value, expected: nil)
        if let cell = currentCell, cell.resource(name) != nil || cell.machine(name) != nil {
            error(.immutable, "'\(name)' cannot be assigned", at: target.span)
            return
        }
        _ = resolveName(name, at: target.span, expected: nil)
    }

    // MARK: - match

    mutating func matchExpression(_ subject: Expression, _ arms: [MatchArm], span: SourceSpan, expected: SomaType?, discard: Bool) -> SomaType {
        let subjectType = check(subject, expected: nil)
        var joined: SomaType?
        var allDiverge = !arms.isEmpty
        var coverage = Coverage()
        for arm in arms {
            let type = withScope { checker -> SomaType in
                checker.checkPattern(arm.pattern, against: subjectType, coverage: &coverage)
                if discard { checker.discardsNextValue = true }
                return checker.check(arm.body, expected: expected)
            }
            if type != .never { allDiverge = false }
            guard expected == nil, !discard else { continue }
            if let current = joined {
                if let next = table.join(current, type) {
                    joined = next
                } else {
                    error(.typeMismatch, "this arm gives \(type), but the arms before it give \(current)", at: arm.body.span,
                          hint: "every arm of a match whose value is used must give the same type")
                    joined = .unknown
                }
            } else {
                joined = type
            }
        }
        if !coverage.isExhaustive(for: subjectType, table: table) {
            let missing = coverage.missing(for: subjectType, table: table)
            let matchSpan = SourceSpan(file: span.file, start: span.start, end: min(span.end, span.start + 5))
            error(.nonExhaustive, "match does not cover \(missing.isEmpty ? "every value" : missing.joined(separator: ", "))", at: matchSpan,
                  hint: missing.isEmpty ? "add a '_ =>' arm" : "add arms for \(missing.joined(separator: ", ")), or a '_ =>' arm")
        }
        if allDiverge { return .never }
        if discard { return .unit }
        return expected ?? joined ?? .unit
    }

    /// What the arms of a match cover so far.
    struct Coverage {
        var everything = false
        var cases: Set<String> = []
        var some = false
        var none = false
        var trueCase = false
        var falseCase = false

        func isExhaustive(for type: SomaType, table: TypeTable) -> Bool {
            if everything { return true }
            switch type {
            case .unknown, .never: return true
            case .option: return some && none
            case .bool: return trueCase && falseCase
            case .named(let key):
                guard let named = table[key], !named.isRecord else { return false }
                return named.cases.allSatisfy { cases.contains($0.name) }
            default: return false
            }
        }

        func missing(for type: SomaType, table: TypeTable) -> [String] {
            switch type {
            case .option: return (some ? [] : ["Some"]) + (none ? [] : ["None"])
            case .bool: return (trueCase ? [] : ["true"]) + (falseCase ? [] : ["false"])
            case .named(let key): return table[key]?.cases.map(\.name).filter { !cases.contains($0) } ?? []
            default: return []
            }
        }
    }

    /// Checks a pattern against the subject's type, binds its names in the current scope and records coverage.
    mutating func checkPattern(_ pattern: Pattern, against type: SomaType, coverage: inout Coverage) {
        var scratch = Coverage()
        switch pattern.kind {
        case .wildcard:
            coverage.everything = true
        case .invalid:
            coverage.everything = true
        case .name(let name):
            if case .named(let key) = type, let named = table[key], let caseInfo = named.variantCase(name) {
                coverage.cases.insert(caseInfo.name)
            } else if table.caseOwners[name] != nil && !type.isDynamic {
                error(.typeMismatch, "'\(name)' is a case of \(table.caseOwners[name]!.filter { !$0.contains("@") }.joined(separator: ", ")), but the value matched is \(type)", at: pattern.span)
            } else {
                declare(name, type)
                coverage.everything = true
            }
        case .literal(let literal):
            let literalType = check(literal, expected: type.isDynamic ? nil : (type == .float ? .float : nil))
            if !type.isDynamic && !table.isAssignable(literalType, to: type) {
                error(.typeMismatch, "this pattern is \(literalType), but the value matched is \(type)", at: pattern.span)
            }
            if case .bool(let value) = literal.kind {
                if value { coverage.trueCase = true } else { coverage.falseCase = true }
            }
        case .some(let inner):
            coverage.some = coverage.some || isIrrefutable(inner, type.optionWrapped ?? .unknown)
            switch type {
            case .option(let wrapped): checkPattern(inner, against: wrapped, coverage: &scratch)
            case .json, .unknown: checkPattern(inner, against: type, coverage: &scratch)
            default:
                error(.typeMismatch, "Some(…) matches an Option, but the value matched is \(type)", at: pattern.span)
                checkPattern(inner, against: .unknown, coverage: &scratch)
            }
        case .none:
            coverage.none = true
            if type.optionWrapped == nil && !type.isDynamic {
                error(.typeMismatch, "None matches an Option, but the value matched is \(type)", at: pattern.span)
            }
        case .variant(let typeName, let caseName, let arguments):
            guard case .named(let key) = type, let named = table[key], !named.isRecord else {
                if !type.isDynamic {
                    error(.typeMismatch, "'\(caseName)' is a variant case, but the value matched is \(type)", at: pattern.span)
                }
                for argument in arguments { checkPattern(argument.pattern, against: .unknown, coverage: &scratch) }
                return
            }
            if let typeName, typeName != named.name {
                error(.typeMismatch, "the value matched is \(named.name), not \(typeName)", at: pattern.span)
            }
            guard let caseInfo = named.variantCase(caseName) else {
                error(.unknownName, "'\(named.name)' has no case '\(caseName)'", at: pattern.span,
                      hint: Self.suggestion(for: caseName, among: named.cases.map(\.name)) ?? "its cases are \(named.cases.map(\.name).joined(separator: ", "))")
                for argument in arguments { checkPattern(argument.pattern, against: .unknown, coverage: &scratch) }
                return
            }
            if arguments.count > caseInfo.fields.count {
                error(.arity, "'\(caseName)' carries \(caseInfo.fields.count) value\(caseInfo.fields.count == 1 ? "" : "s"), the pattern has \(arguments.count)", at: pattern.span)
            }
            var irrefutable = true
            for (index, argument) in arguments.enumerated() {
                let field = argument.label.flatMap { label in caseInfo.fields.first { $0.name == label } }
                    ?? (argument.label == nil && index < caseInfo.fields.count ? caseInfo.fields[index] : nil)
                if field == nil, let label = argument.label {
                    error(.unknownField, "'\(caseName)' has no value '\(label)'", at: argument.pattern.span,
                          hint: Self.suggestion(for: label, among: caseInfo.fields.map(\.name)))
                }
                let fieldType = field?.type ?? .unknown
                if !isIrrefutable(argument.pattern, fieldType) { irrefutable = false }
                checkPattern(argument.pattern, against: fieldType, coverage: &scratch)
            }
            if irrefutable { coverage.cases.insert(caseName) }
        }
    }

    /// A pattern that matches every value of the type: `_`, a binding, or nested forms of those.
    func isIrrefutable(_ pattern: Pattern, _ type: SomaType) -> Bool {
        switch pattern.kind {
        case .wildcard, .invalid: return true
        case .name(let name):
            if case .named(let key) = type, let named = table[key], named.variantCase(name) != nil { return named.cases.count == 1 }
            return true
        default: return false
        }
    }
}
