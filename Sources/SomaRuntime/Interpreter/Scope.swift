/// One level of local names. A class so lambdas share the variables they capture.
final class Scope {
    private struct Entry {
        let name: String
        var value: Value
        var mutable: Bool
    }

    // One array rather than one per field: a lookup is one access to check and one buffer to walk.
    private var entries: [Entry] = []

    init() {}

    func declare(_ name: String, _ value: Value, mutable isMutable: Bool = false) {
        if let index = entries.lastIndex(where: { $0.name == name }) {
            entries[index].value = value
            entries[index].mutable = isMutable
            return
        }
        entries.append(Entry(name: name, value: value, mutable: isMutable))
    }

    func lookup(_ name: String) -> Value? {
        guard let index = entries.lastIndex(where: { $0.name == name }) else { return nil }
        return entries[index].value
    }

    /// Assigns a `var`; nil when the name is not here, false when it is a `let`.
    func assign(_ name: String, _ value: Value) -> Bool? {
        guard let index = entries.lastIndex(where: { $0.name == name }) else { return nil }
        guard entries[index].mutable else { return false }
        entries[index].value = value
        return true
    }

    /// Empties the scope for its next use, keeping its storage.
    func clear() {
        entries.removeAll(keepingCapacity: true)
    }
}
