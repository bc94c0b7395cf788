extension CTLModelChecker {
    /// A path from `state` showing why `formula` fails there, for the universal operators (AG, AF, AX, A[U])
    /// and the connectives over them. Nil when the formula holds, or when no single path can show the failure
    /// (a failing EF or EG needs every path, not one).
    public func counterExample(_ formula: CTLFormula, from state: Int) -> Trace? {
        guard !states(satisfying: formula)[state] else { return nil }
        switch formula {
        case .allGlobally(let f), .not(.existsFinally(.not(let f))):
            return pathThenExplain(from: state, toStatesFailing: f)
        case .not(.existsFinally(let f)):
            return pathThenExplain(from: state, toStatesFailing: .not(f))
        case .allFinally(let f):
            return lasso(from: state, within: states(satisfying: .existsGlobally(.not(f))))
        case .implies(_, let b):
            return counterExample(b, from: state) ?? Trace(states: [state], ending: .stop)
        case .and(let a, let b):
            return states(satisfying: a)[state] ? counterExample(b, from: state) : counterExample(a, from: state)
        case .allNext(let f):
            let bad = states(satisfying: f)
            guard let next = graph.successors(of: state).first(where: { !bad[Int($0)] }) else { return nil }
            let step = Trace(states: [state, Int(next)], ending: .stop)
            return counterExample(f, from: Int(next)).map(step.followed) ?? step
        case .allUntil(let a, let b):
            let notB = states(satisfying: b).map { !$0 }
            let neither = zip(states(satisfying: a), notB).map { !$0 && $1 }
            if existsUntil(notB, neither)[state], let path = shortestPath(from: state, to: neither, within: notB) {
                return Trace(states: path, ending: .stop)
            }
            return lasso(from: state, within: existsGlobally(notB))
        default:
            return Trace(states: [state], ending: .stop)
        }
    }

    private func pathThenExplain(from state: Int, toStatesFailing f: CTLFormula) -> Trace? {
        let bad = states(satisfying: f).map { !$0 }
        guard let path = shortestPath(from: state, to: bad, within: nil), let last = path.last else { return nil }
        let prefix = Trace(states: path, ending: .stop)
        switch f {
        case .atom, .not(.atom), .constant, .not(.constant), .or, .not(.or):
            return prefix
        default:
            return counterExample(f, from: last).map(prefix.followed) ?? prefix
        }
    }

    /// Breadth-first: the shortest path from `start` to a target state, moving only through `within` (after the
    /// start). With `leavingStart`, the path takes at least one step, so it can return to `start` (a cycle).
    public func shortestPath(from start: Int, to target: [Bool], within allowed: [Bool]?, leavingStart: Bool = false) -> [Int]? {
        if target[start] && !leavingStart { return [start] }
        var parent = [Int32](repeating: -1, count: graph.stateCount)
        parent[start] = Int32(start)
        var queue = [Int32(start)]
        var head = 0
        while head < queue.count {
            let state = Int(queue[head])
            head += 1
            for next in graph.successors(of: state) {
                let n = Int(next)
                if target[n] && (parent[n] < 0 || n == start) {
                    var path = [n]
                    var cursor = state
                    while true {
                        path.append(cursor)
                        if cursor == start { break }
                        cursor = Int(parent[cursor])
                    }
                    return path.reversed()
                }
                guard parent[n] < 0, allowed?[n] ?? true else { continue }
                parent[n] = Int32(state)
                queue.append(next)
            }
        }
        return nil
    }

    /// A short path that stays inside `set` forever (every state of `set` has a successor in it): the shortest
    /// route to the nearest state on a cycle of `set`, then the shortest cycle back to it.
    func lasso(from start: Int, within set: [Bool]) -> Trace? {
        guard set[start] else { return nil }
        let components = StronglyConnectedComponents(graph: graph, restrictedTo: set)
        let onCycle = (0..<graph.stateCount).map { set[$0] && components.isOnCycle($0) }
        guard let prefix = shortestPath(from: start, to: onCycle, within: set), let anchor = prefix.last else { return nil }
        if graph.successors(of: anchor).contains(Int32(anchor)) {
            if graph.isFinal[anchor] { return Trace(states: prefix, ending: .staysFinal) }
            if graph.hasNoExit[anchor] { return Trace(states: prefix, ending: .deadlock) }
            return Trace(states: prefix, ending: .cycle(returnsTo: prefix.count - 1))
        }
        let component = components.component[anchor]
        let sameComponent = (0..<graph.stateCount).map { set[$0] && components.component[$0] == component }
        var isAnchor = [Bool](repeating: false, count: graph.stateCount)
        isAnchor[anchor] = true
        if let cycle = shortestPath(from: anchor, to: isAnchor, within: sameComponent, leavingStart: true) {
            return Trace(states: prefix + cycle.dropFirst().dropLast(), ending: .cycle(returnsTo: prefix.count - 1))
        }
        return Trace(states: prefix, ending: .stop)
    }
}
