/// Who waits for whom among the cells' lanes (docs/turns.md): a turn of one cell that calls another waits for
/// that cell's lane. A wait that would close a cycle is refused instead of added, so that cells calling each
/// other answer `call-cycle` rather than deadlock. A value type without I/O; its owner guards it with a lock.
public struct WaitForGraph: Sendable, Equatable {
    /// The lane each waiting lane waits for: one edge each, since a turn makes one call at a time.
    private(set) var waits: [String: String] = [:]

    public init() {}

    /// The cycle that `from` waiting for `to` would close, from `from` back to it; nil when it closes none.
    public func cycle(from: String, to: String) -> [String]? {
        var path = [from, to]
        var visited: Set<String> = [from]
        var current = to
        while current != from {
            guard visited.insert(current).inserted, let next = waits[current] else { return nil }
            path.append(next)
            current = next
        }
        return path
    }

    /// `from` waits for `to`, unless that closes a cycle: then nothing is added and the cycle is returned.
    public mutating func wait(from: String, to: String) -> [String]? {
        if let cycle = cycle(from: from, to: to) { return cycle }
        waits[from] = to
        return nil
    }

    /// `from`'s call has returned.
    public mutating func done(from: String) {
        waits[from] = nil
    }
}
