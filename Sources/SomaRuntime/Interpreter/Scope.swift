/// One level of local names. A class so lambdas share the variables they capture.
final class Scope {
    private(set) var names: [String] = []
    private(set) var values: [Value] = []
    private(set) var mutable: [Bool] = []

    init() {}

    func declare(_ name: String, _ value: Value, mutable isMutable: Bool = false) {
        if let index = names.lastIndex(of: name) {
            values[index] = value
            mutable[index] = isMutable
            return
        }
        names.append(name)
        values.append(value)
        mutable.append(isMutable)
    }

    func lookup(_ name: String) -> Value? {
        guard let index = names.lastIndex(of: name) else { return nil }
        return values[index]
    }

    /// Assigns a `var`; nil when the name is not here, false when it is a `let`.
    func assign(_ name: String, _ value: Value) -> Bool? {
        guard let index = names.lastIndex(of: name) else { return nil }
        guard mutable[index] else { return false }
        values[index] = value
        return true
    }
}
