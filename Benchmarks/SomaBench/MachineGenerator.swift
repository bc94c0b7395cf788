import SomaModelCheck

/// Generates a state machine with about the requested number of transitions: a long main path from `s0` to
/// `done`, forward skips, retry edges back, and an `aborted` exit, so SCCs are large and searches go deep.
enum MachineGenerator {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func graph(transitions: Int) -> StateGraph {
        let count = max(4, transitions / 3)
        var names = (0..<(count - 2)).map { "s\($0)" }
        names += ["done", "aborted"]
        let done = count - 2, aborted = count - 1
        var random = Generator(state: UInt64(transitions))
        var edges: [(Int, Int)] = []
        edges.reserveCapacity(transitions)
        for state in 0..<(count - 3) { edges.append((state, state + 1)) }
        edges.append((count - 3, done))
        while edges.count < transitions - 1 {
            let from = Int(random.next() % UInt64(count - 2))
            let roll = random.next() % 10
            if roll < 6 {
                edges.append((from, min(count - 3, from + 1 + Int(random.next() % 50))))
            } else if roll < 9 {
                edges.append((from, max(0, from - 1 - Int(random.next() % 50))))
            } else {
                edges.append((from, aborted))
            }
        }
        return StateGraph(names: names, edges: edges, initial: 0, finals: [done, aborted])
    }
}
