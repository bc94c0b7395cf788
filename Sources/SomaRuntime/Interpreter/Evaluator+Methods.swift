import SomaDiagnostics
import SomaSyntax

extension Evaluator {
    func methodCall(_ base: SomaSyntax.Expression, _ name: String, nameSpan: SourceSpan, arguments: [Argument], expression: SomaSyntax.Expression) throws -> Value {
        if case .name(let baseName) = base.kind, lookupLocal(baseName) == nil {
            if let turn, let slot = turn.cell.model.slot(baseName), slot.isMap {
                return try slotMethod(turn, baseName, name, try arguments.map { try evaluate($0.value) }, span: expression.span)
            }
            if let turn, turn.cell.model.machine(baseName) != nil {
                return try machineMethod(turn, baseName, name, arguments: arguments, span: expression.span)
            }
            if let named = types[baseName], named.variantCase(name) != nil {
                return try constructCase(baseName, name, arguments: arguments, span: expression.span)
            }
        }
        let receiver = try evaluate(base)
        // Lambdas are passed unevaluated-in-order with the others: evaluate every argument left to right.
        let values = try arguments.map { try evaluate($0.value) }
        return try valueMethod(receiver, name, values, span: expression.span, nameSpan: nameSpan)
    }

    func slotMethod(_ turn: TurnState, _ slot: String, _ name: String, _ values: [Value], span: SourceSpan) throws -> Value {
        func argument(_ index: Int) throws -> Value {
            guard index < values.count else { throw runtimeError("'\(slot).\(name)' is missing an argument", at: span) }
            return values[index]
        }
        switch name {
        case "get":
            return try turn.mapGet(slot, try argument(0)).map(Value.some) ?? .none
        case "has":
            return .bool(try turn.mapGet(slot, try argument(0)) != nil)
        case "set":
            let value = try argument(1)
            try turn.mapSet(slot, try argument(0), value)
            return value
        case "delete":
            return .bool(try turn.mapDelete(slot, try argument(0)))
        case "keys":
            return .list(try turn.mapEntries(slot, evaluator: self, span: span).map(\.key))
        case "values":
            return .list(try turn.mapEntries(slot, evaluator: self, span: span).map(\.value))
        case "count":
            return .int(try turn.mapCount(slot))
        default:
            throw runtimeError("memory slot '\(slot)' has no method '\(name)'", at: span)
        }
    }

    func machineMethod(_ turn: TurnState, _ machine: String, _ name: String, arguments: [Argument], span: SourceSpan) throws -> Value {
        func key() throws -> String {
            guard let first = arguments.first else { throw runtimeError("'\(machine).\(name)' needs a key", at: span) }
            guard case .string(let key) = try evaluate(first.value) else {
                throw runtimeError("state machine keys are Strings", at: first.value.span)
            }
            return key
        }
        switch name {
        case "start":
            try turn.machineStart(machine, key: try key(), location: location(span))
            return .unit
        case "of":
            return turn.machineState(machine, key: try key()).map { .some(.string($0)) } ?? .none
        case "to":
            let target = try key()
            guard arguments.count == 2 else { throw runtimeError("'\(machine).to' takes a key and a state", at: span) }
            let stateExpression = arguments[1].value
            let state: String
            if case .name(let bare) = stateExpression.kind, lookupLocal(bare) == nil,
               turn.cell.model.machine(machine)?.states.contains(bare) == true {
                state = bare
            } else if case .string(let named) = try evaluate(stateExpression) {
                state = named
            } else {
                throw runtimeError("a state is a name or a String", at: stateExpression.span)
            }
            try turn.machineMove(machine, key: target, to: state, location: location(span))
            return .unit
        default:
            throw runtimeError("state machine '\(machine)' has no method '\(name)'", at: span)
        }
    }

    func valueMethod(_ receiver: Value, _ name: String, _ values: [Value], span: SourceSpan, nameSpan: SourceSpan) throws -> Value {
        func argument(_ index: Int) throws -> Value {
            guard index < values.count else { throw runtimeError("'\(name)' is missing an argument", at: span) }
            return values[index]
        }
        func unknown() -> TurnError { runtimeError("\(receiver.typeName) has no method '\(name)'", at: nameSpan) }

        switch receiver {
        case .string(let string):
            switch name {
            case "upper": return .string(string.uppercased())
            case "lower": return .string(string.lowercased())
            case "trim": return .string(string.trimmingWhitespace())
            case "count": return .int(string.count)
            case "split":
                guard case .string(let separator) = try argument(0) else { throw unknown() }
                if separator.isEmpty { return .list(string.map { .string(String($0)) }) }
                return .list(string.split(separator: separator, omittingEmptySubsequences: false).map { .string(String($0)) })
            case "contains", "starts_with", "ends_with":
                guard case .string(let other) = try argument(0) else { throw unknown() }
                if name == "contains" { return .bool(other.isEmpty || string.contains(other)) }
                return .bool(name == "starts_with" ? string.hasPrefix(other) : string.hasSuffix(other))
            default: throw unknown()
            }
        case .list(let items):
            return try listMethod(items, name, values, span: span, unknown: unknown)
        case .set(let items):
            switch name {
            case "count": return .int(items.count)
            case "contains": return .bool(items.contains(try argument(0)))
            case "insert": return .set(items.union([try argument(0)]))
            case "remove": return .set(items.subtracting([try argument(0)]))
            case "values": return .list(items.sorted(by: Value.precedes))
            default: throw unknown()
            }
        case .map(let entries):
            switch name {
            case "count": return .int(entries.count)
            case "get": return entries[try argument(0)].map(Value.some) ?? .none
            case "has": return .bool(entries[try argument(0)] != nil)
            case "set":
                var copy = entries
                copy[try argument(0)] = try argument(1)
                return .map(copy)
            case "delete":
                var copy = entries
                copy[try argument(0)] = nil
                return .map(copy)
            case "keys": return .list(entries.keys.sorted(by: Value.precedes))
            case "values": return .list(entries.keys.sorted(by: Value.precedes).map { entries[$0]! })
            default: throw unknown()
            }
        case .some(let wrapped):
            switch name {
            case "unwrap_or", "unwrap": return wrapped
            case "is_some": return .bool(true)
            case "is_none": return .bool(false)
            default: throw unknown()
            }
        case .none, .null:
            switch name {
            case "unwrap_or": return try argument(0)
            case "unwrap": throw runtimeError("unwrap of None", at: span)
            case "is_some": return .bool(false)
            case "is_none": return .bool(true)
            default: throw runtimeError("\(name) of null", at: nameSpan)
            }
        case .resource(let kind, let resource):
            return try resourceMethod(kind, resource, name, values, span: span, unknown: unknown)
        case .table(let database, let table):
            return try tableMethod(database, table, name, values, span: span, unknown: unknown)
        default:
            throw unknown()
        }
    }

    func listMethod(_ items: [Value], _ name: String, _ values: [Value], span: SourceSpan, unknown: () -> TurnError) throws -> Value {
        func argument(_ index: Int) throws -> Value {
            guard index < values.count else { throw runtimeError("'\(name)' is missing an argument", at: span) }
            return values[index]
        }
        switch name {
        case "count": return .int(items.count)
        case "append": return .list(items + [try argument(0)])
        case "contains":
            let needle = try argument(0)
            return .bool(items.contains { Self.equal($0, needle) })
        case "first": return items.first.map(Value.some) ?? .none
        case "last": return items.last.map(Value.some) ?? .none
        case "reversed": return .list(items.reversed())
        case "sorted":
            for item in items where Self.compare(item, item) == nil {
                throw runtimeError("sorted() cannot order \(item.typeName)", at: span)
            }
            return .list(items.sorted { Self.compare($0, $1)! < 0 })
        case "sum":
            var total: Value = .int(0)
            for item in items {
                if case .duration = item, case .int(0) = total { total = .duration(0) }
                total = try arithmetic(.add, total, item, span: span)
            }
            return total
        case "join":
            guard case .string(let separator) = try argument(0) else { throw unknown() }
            return .string(try items.map { try display($0) }.joined(separator: separator))
        case "map":
            let function = try argument(0)
            return .list(try items.map { try apply(function, [$0], span: span) })
        case "filter":
            let function = try argument(0)
            return .list(try items.filter {
                guard case .bool(let keep) = try apply(function, [$0], span: span) else { throw runtimeError("filter's function must give a Bool", at: span) }
                return keep
            })
        case "filter_map":
            let function = try argument(0)
            var result: [Value] = []
            for item in items {
                switch try apply(function, [item], span: span) {
                case .some(let kept): result.append(kept)
                case .none, .null: break
                case let other: result.append(other)
                }
            }
            return .list(result)
        default: throw unknown()
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
