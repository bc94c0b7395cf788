import Foundation
import SomaChecker
import SomaDiagnostics
import SomaSyntax

extension Evaluator {
    func call(_ callee: SomaSyntax.Expression, arguments: [Argument], expression: SomaSyntax.Expression) throws -> Value {
        if case .member(let base, let name, let nameSpan) = callee.kind {
            return try methodCall(base, name, nameSpan: nameSpan, arguments: arguments, expression: expression)
        }
        guard case .name(let name) = callee.kind else {
            return try apply(try evaluate(callee), try arguments.map { try evaluate($0.value) }, span: expression.span)
        }
        if let local = lookupLocal(name) {
            return try apply(local, try arguments.map { try evaluate($0.value) }, span: expression.span)
        }
        if ResourceModel.Kind(rawValue: name) != nil {
            return try constructResource(name, arguments: arguments, type: expressionTypes[expression.id], span: expression.span)
        }
        if let function = functions[name] {
            let values = try bind(arguments, to: function.parameters.map(\.name), span: expression.span, callee: name)
            return try callFunction(function, values)
        }
        if Self.builtins.contains(name) {
            return try builtin(name, try arguments.map { try evaluate($0.value) }, span: expression.span)
        }
        let typeKey: String?
        if case .named(let key)? = expressionTypes[expression.id], types[key]?.variantCase(name) != nil {
            typeKey = key
        } else {
            typeKey = types.caseOwners[name]?.first
        }
        if let typeKey {
            return try constructCase(typeKey, name, arguments: arguments, span: expression.span)
        }
        throw runtimeError("unknown function '\(name)'", at: callee.span)
    }

    static let builtins: Set<String> = ["now", "uuid", "len", "Int", "Float", "String", "range", "min", "max", "abs"]

    /// Orders arguments by parameter name: positional first, then labelled.
    func bind(_ arguments: [Argument], to parameters: [String], span: SourceSpan, callee: String) throws -> [String: Value] {
        var values: [String: Value] = [:]
        var position = 0
        for argument in arguments {
            let name: String
            if let label = argument.label {
                name = label
            } else {
                while position < parameters.count && values[parameters[position]] != nil { position += 1 }
                guard position < parameters.count else { throw runtimeError("too many arguments to \(callee)", at: span) }
                name = parameters[position]
            }
            values[name] = try evaluate(argument.value)
        }
        return values
    }

    func constructCase(_ typeKey: String, _ caseName: String, arguments: [Argument], span: SourceSpan) throws -> Value {
        let fields = types[typeKey]?.variantCase(caseName)?.fields ?? []
        var values = try bind(arguments, to: fields.map(\.name), span: span, callee: caseName)
        for field in fields where values[field.name] == nil {
            values[field.name] = codec.defaults[typeKey]?[field.name] ?? Value.none
        }
        return .variant(type: typeKey, name: caseName, fields: values)
    }

    func callFunction(_ function: FunctionDeclaration, _ values: [String: Value]) throws -> Value {
        let scope = Scope()
        for parameter in function.parameters {
            scope.declare(parameter.name, values[parameter.name] ?? .unit)
        }
        // Functions are pure: no memory, no state machines, no resources in reach.
        let savedScopes = scopes, savedTurn = turn
        scopes = [scope]
        turn = nil
        defer {
            scopes = savedScopes
            turn = savedTurn
        }
        do {
            return try runStatements(function.body)
        } catch let signal as ReturnSignal {
            return signal.value
        }
    }

    func apply(_ callee: Value, _ values: [Value], span: SourceSpan) throws -> Value {
        guard case .function(let closure) = callee else {
            throw runtimeError("\(callee.typeName) cannot be called", at: span)
        }
        let scope = Scope()
        for (index, name) in closure.parameters.enumerated() {
            scope.declare(name, index < values.count ? values[index] : .unit)
        }
        let savedScopes = scopes
        scopes = closure.captured + [scope]
        defer { scopes = savedScopes }
        do {
            return try evaluate(closure.body)
        } catch let signal as ReturnSignal {
            return signal.value
        }
    }

    func signalArguments(cell: String, signal: String, arguments: [Argument], span: SourceSpan) throws -> [String: Value] {
        guard let model = program?.cells[cell]?.model.signal(signal) else {
            throw runtimeError("cell '\(cell)' has no signal '\(signal)'", at: span)
        }
        return try bind(arguments, to: model.parameters.map(\.name), span: span, callee: "\(cell).\(signal)")
    }

    // MARK: - Built-in functions

    func builtin(_ name: String, _ values: [Value], span: SourceSpan) throws -> Value {
        func only() throws -> Value {
            guard values.count == 1 else { throw runtimeError("\(name) takes 1 argument", at: span) }
            return values[0]
        }
        switch name {
        case "now":
            return .time(Int((Date().timeIntervalSince1970 * 1000).rounded()))
        case "uuid":
            return .string(UUID().uuidString.lowercased())
        case "len":
            switch try only() {
            case .string(let string): return .int(string.count)
            case .list(let items): return .int(items.count)
            case .set(let items): return .int(items.count)
            case .map(let entries): return .int(entries.count)
            case .bytes(let bytes): return .int(bytes.count)
            case let other: throw runtimeError("len of \(other.typeName)", at: span)
            }
        case "Int":
            switch try only() {
            case .int(let int): return .int(int)
            case .float(let double):
                guard double.isFinite, let int = Int(exactly: double.rounded(.towardZero)) else {
                    throw runtimeError("\(double) does not fit an Int", at: span)
                }
                return .int(int)
            case .duration(let milliseconds): return .int(milliseconds)
            case .string(let text):
                guard let int = Int(text.trimmingCharacters(in: .whitespaces)) else { throw runtimeError("\"\(text)\" is not an integer", at: span) }
                return .int(int)
            case let other: throw runtimeError("Int(\(other.typeName))", at: span)
            }
        case "Float":
            switch try only() {
            case .int(let int): return .float(Double(int))
            case .float(let double): return .float(double)
            case .duration(let milliseconds): return .float(Double(milliseconds))
            case .string(let text):
                guard let double = Double(text.trimmingCharacters(in: .whitespaces)) else { throw runtimeError("\"\(text)\" is not a number", at: span) }
                return .float(double)
            case let other: throw runtimeError("Float(\(other.typeName))", at: span)
            }
        case "String":
            return .string(try display(try only()))
        case "range":
            guard values.count == 2, case .int(let low) = values[0], case .int(let high) = values[1] else {
                throw runtimeError("range takes two Ints", at: span)
            }
            guard high > low else { return .list([]) }
            let count = high - low
            steps += count
            if steps > budget { throw overBudget(at: span) }
            return .list((low..<high).map { .int($0) })
        case "abs":
            switch try only() {
            case .int(let int):
                guard int != Int.min else { throw runtimeError("integer overflow in abs", at: span) }
                return .int(Swift.abs(int))
            case .float(let double): return .float(Swift.abs(double))
            case .duration(let milliseconds): return .duration(Swift.abs(milliseconds))
            case let other: throw runtimeError("abs of \(other.typeName)", at: span)
            }
        default: // min, max
            guard values.count == 2, let order = Self.compare(values[0], values[1]) else {
                throw runtimeError("\(name) compares two numbers, strings, times or durations", at: span)
            }
            return name == "min" ? (order <= 0 ? values[0] : values[1]) : (order >= 0 ? values[0] : values[1])
        }
    }
}
