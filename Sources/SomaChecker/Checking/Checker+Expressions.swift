import SomaDiagnostics
import SomaSyntax

extension Checker {
    /// Checks an expression. With `expected`, the expression must fit it (reported at the most precise place)
    /// and the expected type guides literals, lambdas, `[]`, `None` and record literals.
    @discardableResult
    mutating func check(_ expression: Expression, expected: SomaType?) -> SomaType {
        let expected = expected == .unknown ? nil : expected
        let discard = discardsNextValue
        discardsNextValue = false
        let actual = synthesize(expression, expected: expected, discard: discard)
        expressionTypes[expression.id] = actual
        guard let expected else { return actual }
        switch expression.kind {
        case .block, .ifElse, .match:
            return actual // their branches were checked against `expected`
        default:
            guard table.isAssignable(actual, to: expected) else {
                mismatch(expected: expected, found: actual, at: expression.span)
                return expected
            }
            if actual == .never { return .never }
            if table.needsRunTimeCheck(actual, toFit: expected) { coercions[expression.id] = expected }
            return expected.containsUnknown ? actual : expected
        }
    }

    /// Checks an expression whose value is thrown away (a statement): branches may then disagree.
    @discardableResult
    mutating func checkDiscarding(_ expression: Expression) -> SomaType {
        discardsNextValue = true
        return check(expression, expected: nil)
    }

    mutating func synthesize(_ expression: Expression, expected: SomaType?, discard: Bool) -> SomaType {
        switch expression.kind {
        case .int: return expected == .float ? .float : .int
        case .float: return .float
        case .bool: return .bool
        case .duration: return .duration
        case .string(let parts):
            for case .interpolation(let inner) in parts {
                let type = check(inner, expected: nil)
                if case .function = type { error(.typeMismatch, "a function cannot be shown in a string", at: inner.span) }
            }
            return .string
        case .name(let name):
            return resolveName(name, at: expression.span, expected: expected)
        case .member(let base, let name, let nameSpan):
            return memberAccess(base, name, nameSpan: nameSpan, expected: expected)
        case .call(let callee, let typeArguments, let arguments):
            return call(callee, typeArguments: typeArguments, arguments: arguments, span: expression.span, expected: expected)
        case .unary(let op, let operand):
            return unary(op, operand, expected: expected)
        case .binary(let op, let left, let right):
            return binary(op, left, right, span: expression.span)
        case .list(let elements):
            return listLiteral(elements, span: expression.span, expected: expected)
        case .map(let entries):
            return mapLiteral(entries, expected: expected)
        case .record(let typeName, let fields):
            return recordLiteral(typeName: typeName, fields: fields, span: expression.span, expected: expected)
        case .update(let base, let fields):
            return recordUpdate(base, fields, span: expression.span, expected: expected, id: expression.id)
        case .block(let block):
            return inferBlock(block, expected: expected, discard: discard)
        case .ifElse(let condition, let then, let elseBranch):
            return ifElse(condition, then, elseBranch, span: expression.span, expected: expected, discard: discard)
        case .match(let subject, let arms):
            return matchExpression(subject, arms, span: expression.span, expected: expected, discard: discard)
        case .lambda(let parameters, let result, let body):
            return lambda(parameters, result, body, expected: expected)
        case .callSignal(let cell, let signal, let arguments, let targetSpan):
            if !context.allowsEffects {
                error(.impure, "'call' runs another cell's turn: it is allowed in handlers only", at: expression.span)
            }
            return signalCall(cell: cell, signal: signal, arguments: arguments, targetSpan: targetSpan, span: expression.span)
        case .some(let inner):
            if let wrapped = expected?.optionWrapped {
                check(inner, expected: wrapped)
                return .option(wrapped)
            }
            return .option(check(inner, expected: nil))
        case .none:
            if let expected, expected.optionWrapped != nil { return expected }
            return .option(.unknown)
        case .fail(let reason):
            check(reason, expected: .string)
            return .never
        case .return(let value):
            guard context.kind == .handler || context.kind == .function, let result = context.result else {
                error(.typeMismatch, "'return' is allowed only in handlers and functions", at: expression.span)
                return .never
            }
            if let value {
                check(value, expected: result == .unit ? nil : result)
            } else if result != .unit {
                error(.typeMismatch, "'return' needs a value of type \(result)", at: expression.span)
            }
            return .never
        case .invalid:
            return .unknown
        }
    }

    // MARK: - Names

    mutating func resolveName(_ name: String, at span: SourceSpan, expected: SomaType?) -> SomaType {
        if let local = local(name) {
            noteLocalUse(name)
            return local.type
        }
        if let cell = currentCell, context.kind != .function {
            if let slot = cell.slot(name) {
                noteSlotRead(slot, whole: true, how: "the Map itself", at: span)
                return slot.type
            }
            if let resource = cell.resource(name) {
                reads?.outside = true
                return resource.kind == .queue ? .queue(resource.element) : .database(resource.element)
            }
            if cell.machine(name) != nil {
                reads?.machines.insert(name)
                return .stateMachine(cell: cell.name, name: name)
            }
        }
        if let function = functions[name] {
            reads?.functions.insert(name)
            return .function(function.parameterTypes, function.result)
        }
        if let variant = variantType(ofCase: name, at: span, expected: expected) {
            if let caseInfo = table[variant]?.variantCase(name), caseInfo.fields.contains(where: { !$0.isOptional }) {
                error(.missingField, "'\(name)' carries \(caseInfo.fields.map { "\($0.name): \($0.type)" }.joined(separator: ", "))", at: span,
                      hint: "write \(name)(\(caseInfo.fields.map { "\($0.name): …" }.joined(separator: ", ")))")
            }
            return .named(variant)
        }
        if table.caseOwners[name] != nil { return .unknown } // ambiguous: reported by variantType
        if typeDeclarations[name] != nil || Self.builtinTypeNames.contains(name) {
            error(.typeMismatch, "'\(name)' is a type, not a value", at: span, hint: "build a value with \(name) { field: … }")
            return .unknown
        }
        if cells[name] != nil {
            error(.typeMismatch, "'\(name)' is a cell, not a value", at: span, hint: "reach it with 'call \(name).signal(…)' or 'send \(name).signal(…)'")
            return .unknown
        }
        var candidates = scopes.flatMap(\.keys) + Array(functions.keys)
        if let cell = currentCell, context.kind != .function {
            candidates += cell.slots.map(\.name) + cell.resources.map(\.binding) + cell.machines.map(\.name)
        }
        var hint = Self.suggestion(for: name, among: candidates)
        if hint == nil, context.kind == .function, let cell = cells.values.first(where: { $0.slot(name) != nil }) {
            hint = "'\(name)' is memory of cell '\(cell.name)': functions are pure and cannot read memory; pass it as a parameter"
        }
        error(.unknownName, "unknown name '\(name)'", at: span, hint: hint)
        return .unknown
    }

    /// The variant type that declares a case by this name, chosen by the expected type when several do.
    mutating func variantType(ofCase name: String, at span: SourceSpan, expected: SomaType?) -> String? {
        guard let owners = table.caseOwners[name]?.filter({ !$0.contains("@") }), !owners.isEmpty else { return nil }
        if owners.count == 1 { return owners[0] }
        var wanted = expected
        if let wrapped = wanted?.optionWrapped { wanted = wrapped }
        if case .named(let key)? = wanted, owners.contains(key) { return key }
        error(.typeMismatch, "'\(name)' is a case of \(owners.sorted().joined(separator: " and ")): say which", at: span,
              hint: "write \(owners.sorted()[0]).\(name)")
        return nil
    }

    // MARK: - Operators

    mutating func unary(_ op: UnaryOperator, _ operand: Expression, expected: SomaType?) -> SomaType {
        switch op {
        case .not:
            check(operand, expected: .bool)
            return .bool
        case .negate:
            let type = check(operand, expected: expected?.isNumeric == true ? expected : nil)
            guard type.isNumeric || type == .duration || type.isDynamic else {
                error(.typeMismatch, "'-' needs a number, found \(type)", at: operand.span)
                return .unknown
            }
            return type
        }
    }

    mutating func binary(_ op: BinaryOperator, _ left: Expression, _ right: Expression, span: SourceSpan) -> SomaType {
        if op == .and || op == .or {
            check(left, expected: .bool)
            check(right, expected: .bool)
            return .bool
        }
        var leftType = check(left, expected: nil)
        var rightType = check(right, expected: nil)
        // An integer literal beside a Float is a Float, as in `price * 2`.
        if leftType == .float, rightType == .int, case .int = right.kind { rightType = .float; expressionTypes[right.id] = .float }
        if rightType == .float, leftType == .int, case .int = left.kind { leftType = .float; expressionTypes[left.id] = .float }
        if leftType == .never || rightType == .never { return op.isComparison ? .bool : .never }
        if leftType.isDynamic || rightType.isDynamic {
            if op.isComparison { return .bool }
            return leftType == .unknown || rightType == .unknown ? .unknown : .json
        }
        if op.isComparison {
            if op == .equal || op == .notEqual {
                if table.isAssignable(leftType, to: rightType) || table.isAssignable(rightType, to: leftType) { return .bool }
            } else if leftType == rightType && [.int, .float, .string, .time, .duration].contains(leftType) {
                return .bool
            }
            error(.typeMismatch, "cannot compare \(leftType) with \(rightType) using '\(op.rawValue)'", at: span,
                  hint: leftType.isNumeric && rightType.isNumeric ? "convert one side with Float(x) or Int(x)" : nil)
            return .bool
        }
        switch (op, leftType, rightType) {
        case (_, .int, .int), (_, .float, .float):
            return leftType
        case (.add, .string, .string):
            return .string
        case (.add, .time, .duration), (.subtract, .time, .duration):
            return .time
        case (.add, .duration, .time):
            return .time
        case (.subtract, .time, .time):
            return .duration
        case (.add, .duration, .duration), (.subtract, .duration, .duration):
            return .duration
        case (.multiply, .duration, .int), (.divide, .duration, .int):
            return .duration
        case (.multiply, .int, .duration):
            return .duration
        default:
            var hint: String?
            if leftType.isNumeric && rightType.isNumeric { hint = "convert one side with Float(x) or Int(x)" }
            if op == .add && (leftType == .string || rightType == .string) { hint = "convert with String(x), or interpolate: \"\\(x)\"" }
            error(.typeMismatch, "cannot apply '\(op.rawValue)' to \(leftType) and \(rightType)", at: span, hint: hint)
            return .unknown
        }
    }

    // MARK: - Collections

    mutating func listLiteral(_ elements: [Expression], span: SourceSpan, expected: SomaType?) -> SomaType {
        switch expected {
        case .list(let element)?:
            for element0 in elements { check(element0, expected: element) }
            return .list(element)
        case .set(let element)?:
            for element0 in elements { check(element0, expected: element) }
            return .set(element)
        case .option(let wrapped)? where wrapped != .unknown:
            return listLiteral(elements, span: span, expected: wrapped)
        default:
            var joined: SomaType = .unknown
            for element in elements {
                let type = check(element, expected: joined == .unknown ? nil : joined)
                if joined == .unknown { joined = type }
            }
            return .list(joined)
        }
    }

    mutating func mapLiteral(_ entries: [MapEntry], expected: SomaType?) -> SomaType {
        var key: SomaType = .unknown
        var value: SomaType = .unknown
        if case .map(let k, let v)? = expected { (key, value) = (k, v) }
        if case .option(.map(let k, let v))? = expected { (key, value) = (k, v) }
        for entry in entries {
            let k = check(entry.key, expected: key == .unknown ? nil : key)
            let v = check(entry.value, expected: value == .unknown ? nil : value)
            if key == .unknown { key = k }
            if value == .unknown { value = v }
        }
        if ![.int, .string, .bool, .unknown, .json].contains(key) {
            error(.typeMismatch, "map keys must be Int, String or Bool, not \(key)", at: entries.first?.key.span ?? .none)
        }
        return .map(key, value)
    }

    // MARK: - Records

    /// The record type a literal builds: its written name, or the expected type.
    mutating func recordTarget(typeName: String?, span: SourceSpan, expected: SomaType?) -> NamedType? {
        if let typeName {
            switch resolve(TypeSyntax(.named(typeName, arguments: []), span: span)) {
            case .named(let key):
                guard let named = table[key], named.isRecord else {
                    error(.typeMismatch, "'\(typeName)' is a variant, not a record", at: span, hint: "build it with one of its cases")
                    return nil
                }
                return named
            default:
                return nil
            }
        }
        var wanted = expected
        if let wrapped = wanted?.optionWrapped { wanted = wrapped }
        if case .named(let key)? = wanted, let named = table[key], named.isRecord { return named }
        return nil
    }

    mutating func recordLiteral(typeName: String?, fields: [FieldInit], span: SourceSpan, expected: SomaType?) -> SomaType {
        guard let record = recordTarget(typeName: typeName, span: span, expected: expected) else {
            for field in fields { check(field.value, expected: nil) }
            return typeName == nil ? .json : .unknown
        }
        var given: Set<String> = []
        for field in fields {
            guard given.insert(field.name).inserted else {
                error(.duplicate, "field '\(field.name)' is given twice", at: field.nameSpan)
                continue
            }
            guard let declared = record.field(field.name) else {
                error(.unknownField, "'\(record.name)' has no field '\(field.name)'", at: field.nameSpan,
                      hint: Self.suggestion(for: field.name, among: record.fields.map(\.name)) ?? "its fields are \(record.fields.map(\.name).joined(separator: ", "))")
                check(field.value, expected: nil)
                continue
            }
            check(field.value, expected: declared.type)
        }
        let missing = record.fields.filter { !$0.isOptional && !given.contains($0.name) }
        if !missing.isEmpty {
            error(.missingField, "missing field\(missing.count == 1 ? "" : "s") \(missing.map { "'\($0.name)'" }.joined(separator: ", ")) of '\(record.name)'",
                  at: span, hint: "add \(missing.map { "\($0.name): \($0.type)" }.joined(separator: ", "))")
        }
        return .named(record.key)
    }

    /// `{ base | f = v }`: base's fields with the listed ones replaced or added. Where the expected record is
    /// known, fields it lacks are dropped and fields it needs but the result lacks are missing.
    mutating func recordUpdate(_ base: Expression, _ fields: [FieldInit], span: SourceSpan, expected: SomaType?, id: Int) -> SomaType {
        let baseType = check(base, expected: nil)
        var available: [String: SomaType] = [:]
        var baseIsKnown = false
        if case .named(let key) = baseType, let named = table[key], named.isRecord {
            baseIsKnown = true
            for field in named.fields { available[field.name] = field.type }
        } else if !baseType.isDynamic {
            error(.typeMismatch, "only records can be updated with '|', not \(baseType)", at: base.span)
        }
        let target = recordTarget(typeName: nil, span: span, expected: expected)
        for field in fields {
            let declared = target?.field(field.name)?.type ?? available[field.name]
            if declared == nil && target == nil && baseIsKnown {
                error(.unknownField, "'\(baseType)' has no field '\(field.name)'", at: field.nameSpan,
                      hint: Self.suggestion(for: field.name, among: Array(available.keys)))
            }
            available[field.name] = check(field.value, expected: declared)
        }
        guard let target else { return baseIsKnown || baseType == .unknown ? baseType : .json }
        // Fields taken from a Json base are checked when the update runs.
        if baseType == .json { coercions[id] = .named(target.key) }
        if baseIsKnown {
            let missing = target.fields.filter { !$0.isOptional && available[$0.name] == nil && ($0.alias.map { available[$0] == nil } ?? true) }
            if !missing.isEmpty {
                error(.missingField, "the update lacks field\(missing.count == 1 ? "" : "s") \(missing.map { "'\($0.name)'" }.joined(separator: ", ")) of '\(target.name)'",
                      at: span, hint: "set \(missing.map { "\($0.name) = …" }.joined(separator: ", "))")
            }
            for field in target.fields {
                if let type = available[field.name], !table.isAssignable(type, to: field.type) {
                    error(.typeMismatch, "field '\(field.name)' of '\(target.name)' is \(field.type), but the update gives \(type)", at: span)
                }
            }
        }
        return .named(target.key)
    }

    // MARK: - Control flow

    mutating func ifElse(_ condition: Expression, _ then: Block, _ elseBranch: Expression?, span: SourceSpan, expected: SomaType?, discard: Bool) -> SomaType {
        check(condition, expected: .bool)
        guard let elseBranch else {
            _ = withScope { $0.inferBlock(then, expected: nil, discard: true) }
            if let expected, expected != .unit, expected.optionWrapped == nil {
                error(.typeMismatch, "an 'if' without 'else' has no value, but \(expected) is expected here", at: span, hint: "add an 'else' branch")
            }
            return .unit
        }
        let thenType = withScope { $0.inferBlock(then, expected: expected, discard: discard) }
        if discard { discardsNextValue = true }
        let elseType = check(elseBranch, expected: expected)
        if let expected { return thenType == .never && elseType == .never ? .never : expected }
        if discard { return .unit }
        guard let joined = table.join(thenType, elseType) else {
            error(.typeMismatch, "the branches of this 'if' give different types: \(thenType) and \(elseType)", at: span,
                  hint: "make both branches give the same type")
            return .unknown
        }
        return joined
    }

    mutating func lambda(_ parameters: [LambdaParameter], _ result: TypeSyntax?, _ body: Expression, expected: SomaType?) -> SomaType {
        var expectedParameters: [SomaType] = []
        var expectedResult: SomaType?
        if case .function(let p, let r)? = expected {
            expectedParameters = p
            expectedResult = r == .unknown ? nil : r
            if p.count != parameters.count {
                error(.arity, "this function should take \(p.count) parameter\(p.count == 1 ? "" : "s"), not \(parameters.count)", at: body.span)
            }
        }
        let declaredResult = result.map { resolve($0) }
        return withScope { checker in
            var types: [SomaType] = []
            for (index, parameter) in parameters.enumerated() {
                let type = parameter.type.map { checker.resolve($0) } ?? (index < expectedParameters.count ? expectedParameters[index] : .json)
                checker.declare(parameter.name, type)
                types.append(type)
            }
            let bodyType = checker.check(body, expected: declaredResult ?? expectedResult)
            return .function(types, declaredResult ?? bodyType)
        }
    }
}
