import SomaDiagnostics
import SomaSyntax

extension Checker {
    // MARK: - Fields

    mutating func memberAccess(_ base: Expression, _ name: String, nameSpan: SourceSpan, expected: SomaType?) -> SomaType {
        if case .name(let typeName) = base.kind, local(typeName) == nil, let declaration = typeDeclarations[typeName], !isAlias(declaration) {
            guard let named = table[typeName], let caseInfo = named.variantCase(name) else {
                error(.unknownName, "'\(typeName)' has no case '\(name)'", at: nameSpan,
                      hint: Self.suggestion(for: name, among: table[typeName]?.cases.map(\.name) ?? []))
                return .unknown
            }
            if caseInfo.fields.contains(where: { !$0.isOptional }) {
                error(.missingField, "'\(name)' carries \(caseInfo.fields.map { "\($0.name): \($0.type)" }.joined(separator: ", "))", at: nameSpan)
            }
            return .named(typeName)
        }
        let baseType = check(base, expected: nil)
        switch baseType {
        case .unknown, .json, .never:
            return baseType == .never ? .never : baseType
        case .map(.string, .json):
            return .json // a document: `data.id`
        case .named(let key):
            guard let named = table[key] else { return .unknown }
            guard named.isRecord else {
                error(.unknownField, "'\(named.name)' is a variant: it has no field '\(name)'", at: nameSpan, hint: "match on it to reach its cases' values")
                return .unknown
            }
            if let field = named.fields.first(where: { $0.name == name }) ?? named.fields.first(where: { $0.alias == name }) { return field.type }
            error(.unknownField, "'\(baseType)' has no field '\(name)'", at: nameSpan,
                  hint: Self.suggestion(for: name, among: named.fields.map(\.name)) ?? "its fields are \(named.fields.map(\.name).joined(separator: ", "))")
            return .unknown
        case .database(.named(let schema)):
            if let field = table[schema]?.field(name) { return field.type }
            error(.unknownField, "database schema '\(schema)' has no table '\(name)'", at: nameSpan,
                  hint: Self.suggestion(for: name, among: table[schema]?.fields.map(\.name) ?? []))
            return .unknown
        case .database(.unknown):
            return .unknown
        case .option:
            error(.unknownField, "\(baseType) has no field '\(name)'", at: nameSpan, hint: "the value may be None: match on it, or use unwrap_or(default)")
            return .unknown
        default:
            error(.unknownField, "\(baseType) has no field '\(name)'", at: nameSpan)
            return .unknown
        }
    }

    // MARK: - Methods

    mutating func methodCall(_ base: Expression, _ name: String, nameSpan: SourceSpan, arguments: [Argument], span: SourceSpan, expected: SomaType?) -> SomaType {
        if case .name(let baseName) = base.kind, local(baseName) == nil {
            if let cell = currentCell, context.kind != .function {
                if let slot = cell.slot(baseName), case .map(let key, let value) = slot.type {
                    expressionTypes[base.id] = slot.type
                    noteSlotRead(slot, whole: name == "keys" || name == "values", how: "\(name)()", at: span)
                    return slotMethod(slot, key: key, value: value, name, nameSpan: nameSpan, arguments: arguments, span: span)
                }
                if let machine = cell.machine(baseName) {
                    expressionTypes[base.id] = .stateMachine(cell: cell.name, name: baseName)
                    reads?.machines.insert(baseName)
                    return machineMethod(machine, name, nameSpan: nameSpan, arguments: arguments, span: span)
                }
            }
            if let declaration = typeDeclarations[baseName], !isAlias(declaration) {
                guard let named = table[baseName], let caseInfo = named.variantCase(name) else {
                    error(.unknownName, "'\(baseName)' has no case '\(name)'", at: nameSpan,
                          hint: Self.suggestion(for: name, among: table[baseName]?.cases.map(\.name) ?? []))
                    for argument in arguments { check(argument.value, expected: nil) }
                    return .unknown
                }
                return constructCase(baseName, caseInfo, arguments: arguments, span: span)
            }
            if cells[baseName] != nil {
                error(.typeMismatch, "signals of cell '\(baseName)' are reached with 'call \(baseName).\(name)(…)' or 'send \(baseName).\(name)(…)'", at: span)
                for argument in arguments { check(argument.value, expected: nil) }
                return .unknown
            }
        }
        if reads != nil, context.kind == .invariant, arguments.isEmpty, let source = Self.aggregateSource(base),
           let kind = Self.aggregateKind(name, step: source.step) {
            let receiver = checkAggregate(source, kind: kind, base: base, span: span)
            return valueMethod(receiver, name, nameSpan: nameSpan, arguments: arguments, span: span, expected: expected)
        }
        let receiver = check(base, expected: nil)
        return valueMethod(receiver, name, nameSpan: nameSpan, arguments: arguments, span: span, expected: expected)
    }

    /// Checks a method's arguments against fixed parameter types and gives its result.
    mutating func method(_ name: String, _ parameters: [SomaType], _ result: SomaType, _ arguments: [Argument], _ span: SourceSpan) -> SomaType {
        matchArguments(arguments, to: parameters.map { Slot(name: nil, type: $0) }, span: span, callee: "'\(name)'", missingCode: .arity)
        return result
    }

    mutating func requireEffects(_ what: String, at span: SourceSpan) {
        guard context.kind != .handler else { return }
        let place = context.kind == .invariant ? "an invariant" : context.kind == .function ? "a pure function" : "this place"
        error(.impure, "\(what) changes state, which \(place) cannot do", at: span,
              hint: context.kind == .invariant ? "invariants only read memory" : "do it in a handler")
    }

    mutating func slotMethod(_ slot: SlotModel, key: SomaType, value: SomaType, _ name: String, nameSpan: SourceSpan, arguments: [Argument], span: SourceSpan) -> SomaType {
        switch name {
        case "get": return method(name, [key], .option(value), arguments, span)
        case "has": return method(name, [key], .bool, arguments, span)
        case "set":
            requireEffects("'\(slot.name).set'", at: span)
            return method(name, [key, value], value, arguments, span)
        case "delete":
            requireEffects("'\(slot.name).delete'", at: span)
            return method(name, [key], .bool, arguments, span)
        case "keys": return method(name, [], .list(key), arguments, span)
        case "values": return method(name, [], .list(value), arguments, span)
        case "count": return method(name, [], .int, arguments, span)
        default:
            for argument in arguments { check(argument.value, expected: nil) }
            error(.unknownField, "memory slot '\(slot.name)' has no method '\(name)'", at: nameSpan,
                  hint: Self.suggestion(for: name, among: ["get", "set", "delete", "has", "keys", "values", "count"]) ?? "map slots have get, set, delete, has, keys, values and count")
            return .unknown
        }
    }

    mutating func machineMethod(_ machine: MachineModel, _ name: String, nameSpan: SourceSpan, arguments: [Argument], span: SourceSpan) -> SomaType {
        switch name {
        case "start":
            requireEffects("'\(machine.name).start'", at: span)
            return method(name, [.string], .unit, arguments, span)
        case "of":
            return method(name, [.string], .option(.string), arguments, span)
        case "to":
            requireEffects("'\(machine.name).to'", at: span)
            guard arguments.count == 2 else { return method(name, [.string, .string], .unit, arguments, span) }
            check(arguments[0].value, expected: .string)
            let target = arguments[1].value
            if case .name(let state) = target.kind, machine.states.contains(state) || local(state) == nil {
                expressionTypes[target.id] = .string
                if !machine.states.contains(state) {
                    error(.unknownState, "state machine '\(machine.name)' has no state '\(state)'", at: target.span,
                          hint: Self.suggestion(for: state, among: machine.states) ?? "its states are \(machine.states.joined(separator: ", "))")
                }
            } else {
                check(target, expected: .string)
            }
            return .unit
        default:
            for argument in arguments { check(argument.value, expected: nil) }
            error(.unknownField, "state machine '\(machine.name)' has no method '\(name)'", at: nameSpan, hint: "state machines have start(key), to(key, state) and of(key)")
            return .unknown
        }
    }

    mutating func valueMethod(_ receiver: SomaType, _ name: String, nameSpan: SourceSpan, arguments: [Argument], span: SourceSpan, expected: SomaType?) -> SomaType {
        switch (receiver, name) {
        case (.unknown, _), (.json, _), (.never, _):
            for argument in arguments {
                if case .lambda = argument.value.kind {
                    check(argument.value, expected: .function([.json], .unknown))
                } else {
                    check(argument.value, expected: nil)
                }
            }
            return receiver == .never ? .never : receiver

        // Queues and databases
        case (.queue(let element), "push"):
            requireEffects("'push'", at: span)
            return method(name, [element], .unit, arguments, span)
        case (.queue, "size"):
            return method(name, [], .int, arguments, span)
        case (.database, "sql"):
            guard let first = arguments.first else { return method(name, [.string], .list(.json), arguments, span) }
            check(first.value, expected: .string)
            for argument in arguments.dropFirst() {
                let type = check(argument.value, expected: nil)
                if ![.int, .float, .string, .bool, .bytes, .time, .json, .unknown].contains(type) && type.optionWrapped == nil {
                    error(.typeMismatch, "SQL arguments are Int, Float, String, Bool, Bytes or Time, not \(type)", at: argument.value.span)
                }
            }
            return .list(.json)
        case (.table(let row), _):
            return tableMethod(row, name, nameSpan: nameSpan, arguments: arguments, span: span)

        // Strings
        case (.string, "upper"), (.string, "lower"), (.string, "trim"):
            return method(name, [], .string, arguments, span)
        case (.string, "split"):
            return method(name, [.string], .list(.string), arguments, span)
        case (.string, "contains"), (.string, "starts_with"), (.string, "ends_with"):
            return method(name, [.string], .bool, arguments, span)
        case (.string, "count"):
            return method(name, [], .int, arguments, span)

        // Lists
        case (.list, "count"), (.set, "count"), (.map, "count"):
            return method(name, [], .int, arguments, span)
        case (.list(let element), "append"):
            return method(name, [element], .list(element), arguments, span)
        case (.list(let element), "contains"), (.set(let element), "contains"):
            return method(name, [element], .bool, arguments, span)
        case (.list(let element), "first"), (.list(let element), "last"):
            return method(name, [], .option(element), arguments, span)
        case (.list(let element), "sorted"), (.list(let element), "reversed"):
            if name == "sorted" && ![.int, .float, .string, .time, .duration, .json, .unknown].contains(element) {
                error(.typeMismatch, "sorted() orders numbers, strings, times and durations, not \(element)", at: nameSpan)
            }
            return method(name, [], .list(element), arguments, span)
        case (.list(let element), "sum"):
            if !element.isNumeric && !element.isDynamic && element != .duration {
                error(.typeMismatch, "sum() adds numbers, not \(element)", at: nameSpan)
            }
            return method(name, [], element, arguments, span)
        case (.list(.string), "join"):
            return method(name, [.string], .string, arguments, span)
        case (.list(let element), "filter"):
            return method(name, [.function([element], .bool)], .list(element), arguments, span)
        case (.list(let element), "map"):
            return .list(lambdaResult(arguments, element: element, name: name, span: span))
        case (.list(let element), "filter_map"):
            let result = lambdaResult(arguments, element: element, name: name, span: span)
            if let wrapped = result.optionWrapped { return .list(wrapped) }
            if result.isDynamic || result == .never { return .list(result) }
            error(.typeMismatch, "filter_map's function must give an Option, not \(result)", at: arguments.first?.value.span ?? span,
                  hint: "return Some(value) to keep an element and None to drop it")
            return .list(.unknown)

        // Sets
        case (.set(let element), "insert"), (.set(let element), "remove"):
            return method(name, [element], .set(element), arguments, span)
        case (.set(let element), "values"):
            return method(name, [], .list(element), arguments, span)

        // Map values
        case (.map(let key, let value), "get"): return method(name, [key], .option(value), arguments, span)
        case (.map(let key, _), "has"): return method(name, [key], .bool, arguments, span)
        case (.map(let key, let value), "set"): return method(name, [key, value], .map(key, value), arguments, span)
        case (.map(let key, let value), "delete"): return method(name, [key], .map(key, value), arguments, span)
        case (.map(let key, _), "keys"): return method(name, [], .list(key), arguments, span)
        case (.map(_, let value), "values"): return method(name, [], .list(value), arguments, span)

        // Options
        case (.option(let wrapped), "unwrap_or"):
            if wrapped == .unknown, let first = arguments.first {
                return check(first.value, expected: expected)
            }
            return method(name, [wrapped], wrapped, arguments, span)
        case (.option(let wrapped), "unwrap"):
            return method(name, [], wrapped, arguments, span)
        case (.option, "is_some"), (.option, "is_none"):
            return method(name, [], .bool, arguments, span)

        default:
            for argument in arguments { check(argument.value, expected: nil) }
            error(.unknownField, "\(receiver) has no method '\(name)'", at: nameSpan,
                  hint: Self.suggestion(for: name, among: Self.methodNames(of: receiver)))
            return .unknown
        }
    }

    /// For `map` and `filter_map`: checks the one function argument with the element as its parameter; gives its result.
    mutating func lambdaResult(_ arguments: [Argument], element: SomaType, name: String, span: SourceSpan) -> SomaType {
        guard arguments.count == 1 else {
            error(.arity, "'\(name)' takes one function, got \(arguments.count) arguments", at: span)
            for argument in arguments { check(argument.value, expected: nil) }
            return .unknown
        }
        let type = check(arguments[0].value, expected: .function([element], .unknown))
        if case .function(_, let result) = type { return result }
        return .unknown
    }

    mutating func tableMethod(_ row: SomaType, _ name: String, nameSpan: SourceSpan, arguments: [Argument], span: SourceSpan) -> SomaType {
        var key: SomaType = .unknown
        if case .named(let rowKey) = row, let record = table[rowKey] {
            key = (record.fields.first { $0.isKey } ?? record.field("id"))?.type ?? .unknown
        }
        switch name {
        case "put":
            requireEffects("'put'", at: span)
            return method(name, [row], .unit, arguments, span)
        case "get": return method(name, [key], .option(row), arguments, span)
        case "delete":
            requireEffects("'delete'", at: span)
            return method(name, [key], .bool, arguments, span)
        case "all": return method(name, [], .list(row), arguments, span)
        case "count": return method(name, [], .int, arguments, span)
        case "where": return method(name, [.function([row], .bool)], .list(row), arguments, span)
        default:
            for argument in arguments { check(argument.value, expected: nil) }
            error(.unknownField, "Table<\(row)> has no method '\(name)'", at: nameSpan,
                  hint: Self.suggestion(for: name, among: ["put", "get", "delete", "all", "count", "where"]) ?? "tables have put, get, delete, all, count and where")
            return .unknown
        }
    }

    static func methodNames(of type: SomaType) -> [String] {
        switch type {
        case .string: return ["upper", "lower", "trim", "split", "contains", "starts_with", "ends_with", "count"]
        case .list: return ["count", "append", "map", "filter", "filter_map", "first", "last", "sum", "sorted", "reversed", "contains", "join"]
        case .set: return ["insert", "remove", "contains", "count", "values"]
        case .map: return ["get", "set", "delete", "has", "keys", "values", "count"]
        case .option: return ["unwrap_or", "unwrap", "is_some", "is_none"]
        case .queue: return ["push", "size"]
        case .database: return ["sql"]
        default: return []
        }
    }
}
