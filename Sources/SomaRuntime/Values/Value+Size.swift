extension Value {
    /// About what the value costs in memory, for an entry of an ephemeral slot, which has no stored text to
    /// measure: a few words per box, and the bytes of its text.
    var approximateBytes: Int {
        switch self {
        case .string(let text): return 32 + text.utf8.count
        case .bytes(let bytes): return 32 + bytes.count
        case .list(let items): return 32 + items.reduce(0) { $0 + $1.approximateBytes }
        case .set(let items): return 48 + items.reduce(0) { $0 + $1.approximateBytes }
        case .map(let entries): return 48 + entries.reduce(0) { $0 + $1.key.approximateBytes + $1.value.approximateBytes }
        case .some(let wrapped): return 16 + wrapped.approximateBytes
        case .record(_, let fields), .variant(_, _, let fields):
            return 48 + fields.reduce(0) { $0 + 16 + $1.key.utf8.count + $1.value.approximateBytes }
        default: return 16
        }
    }
}
