import SomaSyntax

extension Evaluator {
    /// Whether `value` fits `pattern`; names it binds go into `scope`.
    func matches(_ pattern: Pattern, _ value: Value, scope: Scope) throws -> Bool {
        switch pattern.kind {
        case .wildcard:
            return true
        case .name(let name):
            if case .variant(let typeKey, let caseName, _) = value, types[typeKey]?.variantCase(name) != nil {
                return caseName == name
            }
            scope.declare(name, value)
            return true
        case .literal(let expression):
            return Self.equal(try evaluate(expression), value)
        case .some(let inner):
            guard case .some(let wrapped) = value else { return false }
            return try matches(inner, wrapped, scope: scope)
        case .none:
            if case .none = value { return true }
            if case .null = value { return true }
            return false
        case .variant(_, let caseName, let arguments):
            guard case .variant(let typeKey, let actual, let fields) = value, actual == caseName else { return false }
            let declared = types[typeKey]?.variantCase(caseName)?.fields ?? []
            for (index, argument) in arguments.enumerated() {
                let fieldName = argument.label ?? (index < declared.count ? declared[index].name : "")
                guard let fieldValue = fields[fieldName] else { return false }
                if !(try matches(argument.pattern, fieldValue, scope: scope)) { return false }
            }
            return true
        case .invalid:
            return false
        }
    }
}
