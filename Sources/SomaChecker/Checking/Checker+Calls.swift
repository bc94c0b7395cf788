import SomaDiagnostics
import SomaSyntax

extension Checker {
    static let builtinFunctionNames: Set<String> = ["now", "uuid", "len", "Int", "Float", "String", "range", "min", "max", "abs"]

    /// One parameter a call may fill, by position or by label.
    struct Slot {
        var name: String?
        var type: SomaType
        var optional = false
    }

    mutating func call(_ callee: Expression, typeArguments: [TypeSyntax], arguments: [Argument], span: SourceSpan, expected: SomaType?) -> SomaType {
        if case .member(let base, let name, let nameSpan) = callee.kind {
            return methodCall(base, name, nameSpan: nameSpan, arguments: arguments, span: span, expected: expected)
        }
        guard case .name(let name) = callee.kind else {
            let type = check(callee, expected: nil)
            return apply(type, arguments: arguments, span: span, what: "this value")
        }
        if let kind = ResourceModel.Kind(rawValue: name), local(name) == nil {
            if context.kind != .handler && context.kind != .initializer {
                error(.impure, "resources are provisioned by cells: \(name) cannot be created here", at: span)
            }
            guard let resource = checkResourceConstructor(name, typeArguments: typeArguments, arguments: arguments, span: span) else { return .unknown }
            return kind == .queue ? .queue(resource.element) : .database(resource.element)
        }
        if !typeArguments.isEmpty {
            error(.arity, "'\(name)' takes no type arguments", at: callee.span)
        }
        if let local = local(name) {
            noteLocalUse(name)
            return apply(local.type, arguments: arguments, span: span, what: "'\(name)'")
        }
        if let function = functions[name] {
            reads?.functions.insert(name)
            let slots = zip(function.parameters, function.parameterTypes).map { Slot(name: $0.name, type: $1) }
            matchArguments(arguments, to: slots, span: span, callee: "'\(name)'", missingCode: .arity)
            return function.result
        }
        if Self.builtinFunctionNames.contains(name) {
            if name == "now" || name == "uuid" { reads?.outside = true }
            return builtinCall(name, arguments: arguments, span: span, expected: expected)
        }
        if let variant = variantType(ofCase: name, at: callee.span, expected: expected), let caseInfo = table[variant]?.variantCase(name) {
            return constructCase(variant, caseInfo, arguments: arguments, span: span)
        }
        if table.caseOwners[name] != nil {
            for argument in arguments { check(argument.value, expected: nil) }
            return .unknown
        }
        for argument in arguments { check(argument.value, expected: nil) }
        if cells[name] != nil {
            error(.typeMismatch, "'\(name)' is a cell: reach its signals with 'call \(name).signal(…)'", at: callee.span)
            return .unknown
        }
        error(.unknownName, "unknown function '\(name)'", at: callee.span,
              hint: Self.suggestion(for: name, among: Array(functions.keys) + Array(Self.builtinFunctionNames)))
        return .unknown
    }

    mutating func apply(_ type: SomaType, arguments: [Argument], span: SourceSpan, what: String) -> SomaType {
        switch type {
        case .function(let parameters, let result):
            matchArguments(arguments, to: parameters.map { Slot(name: nil, type: $0) }, span: span, callee: what, missingCode: .arity)
            return result
        case .unknown, .json:
            for argument in arguments { check(argument.value, expected: nil) }
            return type
        default:
            for argument in arguments { check(argument.value, expected: nil) }
            error(.typeMismatch, "\(what) is \(type), which cannot be called", at: span)
            return .unknown
        }
    }

    /// Fills slots by position, then by label; reports what is missing, unknown or extra.
    mutating func matchArguments(_ arguments: [Argument], to slots: [Slot], span: SourceSpan, callee: String, missingCode: DiagnosticCode) {
        var filled = [Bool](repeating: false, count: slots.count)
        var position = 0
        for argument in arguments {
            let index: Int?
            if let label = argument.label {
                index = slots.firstIndex { $0.name == label }
                if index == nil {
                    error(missingCode == .missingField ? .unknownField : .arity, "\(callee) has no parameter '\(label)'", at: argument.span,
                          hint: Self.suggestion(for: label, among: slots.compactMap(\.name)))
                    check(argument.value, expected: nil)
                    continue
                }
            } else {
                while position < slots.count && filled[position] { position += 1 }
                index = position < slots.count ? position : nil
                if index == nil {
                    error(.arity, "\(callee) takes \(slots.count) argument\(slots.count == 1 ? "" : "s"), got \(arguments.count)", at: span)
                    check(argument.value, expected: nil)
                    continue
                }
            }
            guard let index else { continue }
            if filled[index] {
                error(.duplicate, "'\(slots[index].name ?? "argument \(index + 1)")' is given twice", at: argument.span)
            }
            filled[index] = true
            check(argument.value, expected: slots[index].type)
        }
        let missing = slots.indices.filter { !filled[$0] && !slots[$0].optional }
        guard !missing.isEmpty else { return }
        if missingCode == .arity {
            error(.arity, "\(callee) takes \(slots.count) argument\(slots.count == 1 ? "" : "s"), got \(arguments.count)", at: span,
                  hint: "missing \(missing.map { slots[$0].name.map { "'\($0)'" } ?? "argument \($0 + 1)" }.joined(separator: ", "))")
        } else {
            error(missingCode, "\(callee) needs \(missing.map { "'\(slots[$0].name ?? "")'" }.joined(separator: ", "))", at: span)
        }
    }

    mutating func constructCase(_ variant: String, _ caseInfo: NamedType.Case, arguments: [Argument], span: SourceSpan) -> SomaType {
        guard !caseInfo.fields.isEmpty else {
            error(.arity, "'\(caseInfo.name)' carries no values", at: span, hint: "write it without parentheses")
            for argument in arguments { check(argument.value, expected: nil) }
            return .named(variant)
        }
        let slots = caseInfo.fields.map { Slot(name: $0.name, type: $0.type, optional: $0.isOptional) }
        matchArguments(arguments, to: slots, span: span, callee: "'\(caseInfo.name)'", missingCode: .missingField)
        return .named(variant)
    }

    // MARK: - Built-ins

    mutating func builtinCall(_ name: String, arguments: [Argument], span: SourceSpan, expected: SomaType?) -> SomaType {
        func one(_ checker: inout Checker) -> SomaType? {
            guard arguments.count == 1 else {
                checker.error(.arity, "'\(name)' takes 1 argument, got \(arguments.count)", at: span)
                for argument in arguments { checker.check(argument.value, expected: nil) }
                return nil
            }
            return checker.check(arguments[0].value, expected: nil)
        }
        switch name {
        case "now", "uuid":
            if !arguments.isEmpty { error(.arity, "'\(name)' takes no arguments", at: span) }
            return name == "now" ? .time : .string
        case "len":
            guard let type = one(&self) else { return .int }
            switch type {
            case .string, .list, .set, .map, .bytes, .json, .unknown: return .int
            default:
                error(.typeMismatch, "len takes a String, List, Set or Map, not \(type)", at: arguments[0].value.span)
                return .int
            }
        case "Int", "Float":
            guard let type = one(&self) else { return name == "Int" ? .int : .float }
            if ![.int, .float, .string, .json, .unknown, .duration].contains(type) {
                error(.typeMismatch, "\(name)(x) converts numbers and strings, not \(type)", at: arguments[0].value.span)
            }
            return name == "Int" ? .int : .float
        case "String":
            if let type = one(&self), !table.isSerializable(type) {
                error(.typeMismatch, "\(type) has no text form", at: arguments[0].value.span)
            }
            return .string
        case "range":
            matchArguments(arguments, to: [Slot(name: nil, type: .int), Slot(name: nil, type: .int)], span: span, callee: "'range'", missingCode: .arity)
            return .list(.int)
        case "abs":
            guard let type = one(&self) else { return .unknown }
            if !type.isNumeric && !type.isDynamic { error(.typeMismatch, "abs takes a number, not \(type)", at: arguments[0].value.span) }
            return type
        default: // min, max
            guard arguments.count == 2 else {
                error(.arity, "'\(name)' takes 2 arguments, got \(arguments.count)", at: span)
                return .unknown
            }
            let first = check(arguments[0].value, expected: expected?.isNumeric == true ? expected : nil)
            check(arguments[1].value, expected: first == .unknown ? nil : first)
            if ![.int, .float, .string, .time, .duration, .json, .unknown].contains(first) {
                error(.typeMismatch, "\(name) compares numbers, strings, times or durations, not \(first)", at: arguments[0].value.span)
            }
            return first
        }
    }

    // MARK: - Resources

    /// `QueueService<T>("name", max_attempts: 5, visibility: 30s, on: "host")` or `Database<S>("name", engine: "postgres")`.
    mutating func checkResourceConstructor(_ constructor: String, typeArguments: [TypeSyntax], arguments: [Argument], span: SourceSpan) -> ResourceModel? {
        guard let kind = ResourceModel.Kind(rawValue: constructor) else { return nil }
        guard typeArguments.count == 1 else {
            error(.arity, "\(constructor) takes one type argument, as in \(constructor)<\(kind == .queue ? "Order" : "ShopDb")>(\"name\")", at: span)
            for argument in arguments { check(argument.value, expected: nil) }
            return nil
        }
        // The handle's type is resolved as if written `QueueService<T>` or `Database<S>`: one place checks schemas.
        let element: SomaType
        switch resolve(TypeSyntax(.named(constructor, arguments: typeArguments), span: span)) {
        case .queue(let queued):
            element = queued
            requireSerializable(element, at: typeArguments[0].span, what: "the element type of a queue")
        case .database(let schema):
            element = schema
        default:
            element = .unknown
        }
        var resource = ResourceModel(binding: "", kind: kind, element: element, name: nil, engine: kind == .database ? "sqlite" : nil, host: nil, span: span)
        let options: [String: SomaType] = kind == .queue
            ? ["on": .string, "max_attempts": .int, "visibility": .duration, "retry_base": .duration, "retry_cap": .duration]
            : ["on": .string, "engine": .string]
        var named = false
        for (index, argument) in arguments.enumerated() {
            guard let label = argument.label else {
                check(argument.value, expected: .string)
                if index == 0 && !named {
                    resource.name = literalString(argument.value)
                    if let name = resource.name { validateResourceName(name, at: argument.value.span) }
                    named = true
                } else {
                    error(.arity, "\(constructor) takes its name first, then labelled options (\(options.keys.sorted().joined(separator: ", ")))", at: argument.span)
                }
                continue
            }
            guard let type = options[label] else {
                error(.invalidResource, "\(constructor) has no option '\(label)'", at: argument.span,
                      hint: Self.suggestion(for: label, among: Array(options.keys)) ?? "its options are \(options.keys.sorted().joined(separator: ", "))")
                check(argument.value, expected: nil)
                continue
            }
            check(argument.value, expected: type)
            switch label {
            case "on":
                resource.host = literalString(argument.value)
                if let host = resource.host, host != "local", !knownHosts.contains(host) {
                    error(.unknownHost, "unknown host '\(host)'", at: argument.value.span,
                          hint: "declare it in soma.toml under [hosts.\(host)], or register it with 'soma hosts add \(host) ssh://user@host'")
                }
            case "engine":
                resource.engine = literalString(argument.value)
                if let engine = resource.engine, !["sqlite", "postgres"].contains(engine) {
                    error(.invalidResource, "unknown database engine '\(engine)'", at: argument.value.span, hint: "engines are \"sqlite\" (default) and \"postgres\"")
                }
            case "max_attempts":
                if case .int(let attempts) = argument.value.kind, attempts < 1 {
                    error(.invalidResource, "max_attempts must be at least 1", at: argument.value.span)
                }
            default:
                break
            }
        }
        if !named {
            error(.invalidResource, "a resource needs a name: \(constructor)<\(element)>(\"name\")", at: span)
        }
        if let name = resource.name {
            if let previous = resourceNames[name], previous.kind != kind || previous.element != element {
                error(.duplicate, "resource '\(name)' is already a \(previous.typeDescription); here it would be a \(resource.typeDescription)", at: span,
                      hint: "the same name always means the same resource: choose another name")
            } else {
                resourceNames[name] = resource
            }
        }
        constructedResources.append(resource)
        return resource
    }

    var knownHosts: Set<String> { config.hosts }

    func literalString(_ expression: Expression) -> String? {
        guard case .string(let parts) = expression.kind else { return nil }
        if parts.isEmpty { return "" }
        guard parts.count == 1, case .text(let text) = parts[0] else { return nil }
        return text
    }

    /// Resource names become directory, process and database names: keep them to a safe alphabet.
    mutating func validateResourceName(_ name: String, at span: SourceSpan) {
        if !SafeName.isValid(name) {
            error(.invalidResource, "resource name '\(name)' is not allowed", at: span, hint: SafeName.rule)
        }
    }

    // MARK: - Cells calling cells

    mutating func signalCall(cell: String, signal: String, arguments: [Argument], targetSpan: SourceSpan, span: SourceSpan) -> SomaType {
        guard let target = cells[cell] else {
            for argument in arguments { check(argument.value, expected: nil) }
            error(.unknownName, "unknown cell '\(cell)'", at: targetSpan, hint: Self.suggestion(for: cell, among: Array(cells.keys)))
            return .unknown
        }
        guard let model = target.signal(signal) else {
            for argument in arguments { check(argument.value, expected: nil) }
            error(.unknownSignal, "cell '\(cell)' has no signal '\(signal)'", at: targetSpan,
                  hint: Self.suggestion(for: signal, among: target.signals.map(\.name)) ?? "its face declares \(target.signals.map(\.name).joined(separator: ", "))")
            return .unknown
        }
        let slots = model.parameters.map { Slot(name: $0.name, type: $0.type) }
        matchArguments(arguments, to: slots, span: span, callee: "\(cell).\(signal)", missingCode: .arity)
        return model.result
    }
}
