/// A lifecycle state machine as a Kripke structure: states, transitions (compressed adjacency both ways),
/// an initial state and final states. Paths are infinite: a state without successors (a final state, or a
/// deadlock) stays where it is, and a final state may always stay, so "the entity stops here" is a path too.
public struct StateGraph: Sendable {
    public let names: [String]
    public let initial: Int
    public let isFinal: [Bool]
    /// True for states with no outgoing transition in the declared machine (before stuttering is added).
    public let hasNoExit: [Bool]
    let successorStart: [Int32]
    let successorList: [Int32]
    let predecessorStart: [Int32]
    let predecessorList: [Int32]

    public var stateCount: Int { names.count }
    public let declaredTransitionCount: Int

    /// - Parameters:
    ///   - finals: nil means "states without outgoing edges are final".
    public init(names: [String], edges: [(Int, Int)], initial: Int = 0, finals: Set<Int>?) {
        let count = names.count
        self.names = names
        self.initial = initial
        self.declaredTransitionCount = edges.count
        var outDegree = [Int](repeating: 0, count: count)
        for (from, _) in edges { outDegree[from] += 1 }
        let noExit = outDegree.map { $0 == 0 }
        self.hasNoExit = noExit
        let final = (0..<count).map { finals?.contains($0) ?? noExit[$0] }
        self.isFinal = final

        // Stutter: a final state may stay; a state with no exit must.
        var all = edges
        for state in 0..<count where final[state] || noExit[state] {
            all.append((state, state))
        }
        (successorStart, successorList) = Self.compress(all, count: count) { $0 }
        (predecessorStart, predecessorList) = Self.compress(all, count: count) { ($0.1, $0.0) }
    }

    static func compress(_ edges: [(Int, Int)], count: Int, orient: ((Int, Int)) -> (Int, Int)) -> ([Int32], [Int32]) {
        var start = [Int32](repeating: 0, count: count + 1)
        for edge in edges { start[orient(edge).0 + 1] += 1 }
        for index in 0..<count { start[index + 1] += start[index] }
        var fill = start
        var list = [Int32](repeating: 0, count: edges.count)
        for edge in edges {
            let (from, to) = orient(edge)
            list[Int(fill[from])] = Int32(to)
            fill[from] += 1
        }
        return (start, list)
    }

    @inline(__always)
    public func successors(of state: Int) -> ArraySlice<Int32> {
        successorList[Int(successorStart[state])..<Int(successorStart[state + 1])]
    }

    @inline(__always)
    public func predecessors(of state: Int) -> ArraySlice<Int32> {
        predecessorList[Int(predecessorStart[state])..<Int(predecessorStart[state + 1])]
    }

    public func index(of name: String) -> Int? {
        names.firstIndex(of: name)
    }

    /// States reachable from the initial state.
    public func reachable() -> [Bool] {
        var seen = [Bool](repeating: false, count: stateCount)
        guard stateCount > 0 else { return seen }
        var stack = [initial]
        seen[initial] = true
        while let state = stack.popLast() {
            for next in successors(of: state) where !seen[Int(next)] {
                seen[Int(next)] = true
                stack.append(Int(next))
            }
        }
        return seen
    }

    /// Reachable, non-final states the declared machine cannot leave.
    public func deadlocks() -> [Bool] {
        let reach = reachable()
        return (0..<stateCount).map { reach[$0] && hasNoExit[$0] && !isFinal[$0] }
    }
}
