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

    /// Walks forever inside `set` (every state of which has a successor in it), following declared
    /// transitions in their order, until a state repeats.
    func lasso(from start: Int, within set: [Bool]) -> Trace? {
        guard set[start] else { return nil }
        var seenAt: [Int: Int] = [:]
        var path: [Int] = []
        var state = start
        while true {
            if let index = seenAt[state] {
                if index == path.count - 1 {
                    return Trace(states: path, ending: graph.isFinal[state] ? .staysFinal : .deadlock)
                }
                return Trace(states: path, ending: .cycle(returnsTo: index))
            }
            seenAt[state] = path.count
            path.append(state)
            guard let next = graph.successors(of: state).first(where: { set[Int($0)] }) else { return Trace(states: path, ending: .stop) }
            state = Int(next)
        }
    }
}
