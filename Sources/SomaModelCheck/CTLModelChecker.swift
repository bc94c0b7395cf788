/// Standard CTL labelling: each subformula's satisfying states are computed once, bottom-up, in time linear
/// in states plus transitions (EU by backward search, EG by strongly connected components).
/// One checker serves one graph; it remembers each subformula's labelling, so properties sharing parts are cheap.
public final class CTLModelChecker {
    public let graph: StateGraph
    let deadlocked: [Bool]
    private var memo: [CTLFormula: [Bool]] = [:]

    public init(graph: StateGraph) {
        self.graph = graph
        self.deadlocked = graph.deadlocks()
    }

    /// Whether the formula holds in the initial state.
    public func holds(_ formula: CTLFormula) -> Bool {
        guard graph.stateCount > 0 else { return true }
        return states(satisfying: formula)[graph.initial]
    }

    public func states(satisfying formula: CTLFormula) -> [Bool] {
        if let known = memo[formula] { return known }
        let result = label(formula)
        memo[formula] = result
        return result
    }

    private func label(_ formula: CTLFormula) -> [Bool] {
        let count = graph.stateCount
        switch formula {
        case .constant(let value):
            return [Bool](repeating: value, count: count)
        case .atom(let name):
            if name == CTLFormula.deadlockAtom { return deadlocked }
            var result = [Bool](repeating: false, count: count)
            if let index = graph.index(of: name) { result[index] = true }
            return result
        case .not(let f):
            return states(satisfying: f).map { !$0 }
        case .and(let a, let b):
            return zip(states(satisfying: a), states(satisfying: b)).map { $0 && $1 }
        case .or(let a, let b):
            return zip(states(satisfying: a), states(satisfying: b)).map { $0 || $1 }
        case .implies(let a, let b):
            return zip(states(satisfying: a), states(satisfying: b)).map { !$0 || $1 }
        case .existsNext(let f):
            return existsNext(states(satisfying: f))
        case .allNext(let f):
            return existsNext(states(satisfying: f).map { !$0 }).map { !$0 }
        case .existsUntil(let a, let b):
            return existsUntil(states(satisfying: a), states(satisfying: b))
        case .existsFinally(let f):
            return existsUntil([Bool](repeating: true, count: count), states(satisfying: f))
        case .allGlobally(let f):
            let bad = states(satisfying: f).map { !$0 }
            return existsUntil([Bool](repeating: true, count: count), bad).map { !$0 }
        case .existsGlobally(let f):
            return existsGlobally(states(satisfying: f))
        case .allFinally(let f):
            return existsGlobally(states(satisfying: f).map { !$0 }).map { !$0 }
        case .allUntil(let a, let b):
            // A[a U b] = !(E[!b U (!a && !b)] || EG !b)
            let notB = states(satisfying: b).map { !$0 }
            let neither = zip(states(satisfying: a), notB).map { !$0 && $1 }
            let escape = existsUntil(notB, neither)
            let stall = existsGlobally(notB)
            return zip(escape, stall).map { !($0 || $1) }
        }
    }

    func existsNext(_ target: [Bool]) -> [Bool] {
        var result = [Bool](repeating: false, count: graph.stateCount)
        for state in 0..<graph.stateCount where target[state] {
            for predecessor in graph.predecessors(of: state) { result[Int(predecessor)] = true }
        }
        return result
    }

    /// E[a U b]: backward search from b-states through a-states.
    func existsUntil(_ a: [Bool], _ b: [Bool]) -> [Bool] {
        var result = b
        var stack: [Int32] = []
        stack.reserveCapacity(graph.stateCount)
        for state in 0..<graph.stateCount where b[state] { stack.append(Int32(state)) }
        while let state = stack.popLast() {
            for predecessor in graph.predecessors(of: Int(state)) {
                let p = Int(predecessor)
                if !result[p] && a[p] {
                    result[p] = true
                    stack.append(predecessor)
                }
            }
        }
        return result
    }

    /// EG f: states of f from which f-states lead into a nontrivial strongly connected component of f-states.
    func existsGlobally(_ f: [Bool]) -> [Bool] {
        let components = StronglyConnectedComponents(graph: graph, restrictedTo: f)
        var result = [Bool](repeating: false, count: graph.stateCount)
        var stack: [Int32] = []
        for state in 0..<graph.stateCount where f[state] && components.isOnCycle(state) {
            result[state] = true
            stack.append(Int32(state))
        }
        while let state = stack.popLast() {
            for predecessor in graph.predecessors(of: Int(state)) {
                let p = Int(predecessor)
                if !result[p] && f[p] {
                    result[p] = true
                    stack.append(predecessor)
                }
            }
        }
        return result
    }
}
