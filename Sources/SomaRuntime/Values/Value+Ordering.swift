extension Value {
    /// A total order used for sorting and for deterministic output of sets and maps: numbers by value,
    /// strings and bytes by their bytes, collections element by element, records field by field in the
    /// order of the fields' names (as a list of names and values), variants by case name and then their
    /// fields, and values of different kinds by kind. It depends on nothing but the values: `keys()` and a
    /// stored set's JSON are the same in every process (a record's fields are a dictionary, whose order is
    /// not). `OrderKey` is the same order as bytes.
    static func precedes(_ lhs: Value, _ rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return a < b
        case (.float(let a), .float(let b)): return a < b
        case (.int(let a), .float(let b)): return Double(a) < b
        case (.float(let a), .int(let b)): return a < Double(b)
        case (.string(let a), .string(let b)): return a.utf8.lexicographicallyPrecedes(b.utf8)
        case (.bytes(let a), .bytes(let b)): return a.lexicographicallyPrecedes(b)
        case (.bool(let a), .bool(let b)): return !a && b
        case (.time(let a), .time(let b)), (.duration(let a), .duration(let b)): return a < b
        case (.some(let a), .some(let b)): return precedes(a, b)
        case (.none, .some): return true
        case (.list(let a), .list(let b)): return sequencePrecedes(a, b)
        case (.set(let a), .set(let b)): return sequencePrecedes(a.sorted(by: precedes), b.sorted(by: precedes))
        case (.map(let a), .map(let b)):
            let aKeys = a.keys.sorted(by: precedes), bKeys = b.keys.sorted(by: precedes)
            if aKeys != bKeys { return sequencePrecedes(aKeys, bKeys) }
            return sequencePrecedes(aKeys.map { a[$0]! }, bKeys.map { b[$0]! })
        case (.record(let aType, let a), .record(let bType, let b)):
            if aType != bType { return textPrecedes(aType, bType) }
            return fieldsPrecede(a, b)
        case (.variant(let aType, let aName, let a), .variant(let bType, let bName, let b)):
            if aType != bType { return textPrecedes(aType, bType) }
            if aName != bName { return textPrecedes(aName, bName) }
            return fieldsPrecede(a, b)
        case (.unit, .null), (.null, .unit), (.null, .null), (.unit, .unit): return lhs == .null && rhs == .unit
        default:
            if lhs.kindRank != rhs.kindRank { return lhs.kindRank < rhs.kindRank }
            return textPrecedes(String(describing: lhs), String(describing: rhs))
        }
    }

    private static func sequencePrecedes(_ a: [Value], _ b: [Value]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return precedes(x, y) }
        return a.count < b.count
    }

    /// The fields in the order of their names, compared as a list of (name, value) pairs.
    private static func fieldsPrecede(_ a: [String: Value], _ b: [String: Value]) -> Bool {
        let aNames = a.keys.sorted(by: textPrecedes), bNames = b.keys.sorted(by: textPrecedes)
        for (x, y) in zip(aNames, bNames) {
            if x != y { return textPrecedes(x, y) }
            if a[x] != b[y] { return precedes(a[x]!, b[y]!) }
        }
        return aNames.count < bNames.count
    }

    static func textPrecedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    private var kindRank: Int {
        switch self {
        case .null, .unit: return 0
        case .none: return 1
        case .bool: return 2
        case .int, .float: return 3
        case .string: return 4
        case .time: return 5
        case .duration: return 6
        case .bytes: return 7
        case .list: return 8
        case .set: return 9
        case .map: return 10
        case .record: return 11
        case .variant: return 12
        case .some: return 13
        default: return 14
        }
    }
}
