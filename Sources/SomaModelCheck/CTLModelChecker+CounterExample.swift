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

    /// Breadth-first: the shortest path from `start` to a target state, moving only through `within` (after the start).
    public func shortestPath(from start: Int, to target: [Bool], within allowed: [Bool]?) -> [Int]? {
        if target[start] { return [start] }
        var parent = [Int32](repeating: -1, count: graph.stateCount)
        parent[start] = Int32(start)
        var queue = [Int32(start)]
        var head = 0
        while head < queue.count {
            let state = Int(queue[head])
            head += 1
            for next in graph.successors(of: state) {
                let n = Int(next)
                guard parent[n] < 0, allowed?[n] ?? true else { continue }
                parent[n] = Int32(state)
                if target[n] {
                    var path = [n]
                    var cursor = n
                    while cursor != start {
                        cursor = Int(parent[cursor])
                        path.append(cursor)
                    }
                    return path.reversed()
                }
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
        // Breadth-first from the anchor's successors, inside its component, back to the anchor.
        var parent = [Int32](repeating: -1, count: graph.stateCount)
        var queue: [Int32] = []
        for next in graph.successors(of: anchor) where set[Int(next)] && components.component[Int(next)] == components.component[anchor] && parent[Int(next)] < 0 {
            parent[Int(next)] = Int32(anchor)
            queue.append(next)
        }
        var head = 0
        while head < queue.count {
            let state = Int(queue[head])
            head += 1
            for next in graph.successors(of: state) {
                let n = Int(next)
                if n == anchor {
                    var loop: [Int] = []
                    var cursor = state
                    while cursor != anchor {
                        loop.append(cursor)
                        cursor = Int(parent[cursor])
                    }
                    return Trace(states: prefix + loop.reversed(), ending: .cycle(returnsTo: prefix.count - 1))
                }
                guard parent[n] < 0, set[n], components.component[n] == components.component[anchor] else { continue }
                parent[n] = Int32(state)
                queue.append(next)
            }
        }
        return Trace(states: prefix, ending: .stop)
    }
}
