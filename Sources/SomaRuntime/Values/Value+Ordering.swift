extension Value {
    /// A total order used for sorting and for deterministic output of sets and maps: numbers by value,
    /// strings by their UTF-8 bytes, and values of different kinds by kind.
    static func precedes(_ lhs: Value, _ rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return a < b
        case (.float(let a), .float(let b)): return a < b
        case (.int(let a), .float(let b)): return Double(a) < b
        case (.float(let a), .int(let b)): return a < Double(b)
        case (.string(let a), .string(let b)): return a.utf8.lexicographicallyPrecedes(b.utf8)
        case (.bool(let a), .bool(let b)): return !a && b
        case (.time(let a), .time(let b)), (.duration(let a), .duration(let b)): return a < b
        case (.some(let a), .some(let b)): return precedes(a, b)
        case (.none, .some): return true
        case (.list(let a), .list(let b)):
            for (x, y) in zip(a, b) where x != y { return precedes(x, y) }
            return a.count < b.count
        default:
            if lhs.kindRank != rhs.kindRank { return lhs.kindRank < rhs.kindRank }
            return String(describing: lhs) < String(describing: rhs)
        }
    }

    private var kindRank: Int {
        switch self {
        case .null, .unit: return 0
        case .none: return 1
        case .bool: return 2
        case .int, .float: return 3
        case .string: return 4
        case .time: return 5
        case .duration: return 6
        default: return 7
        }
    }
}
