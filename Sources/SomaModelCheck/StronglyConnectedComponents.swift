/// Tarjan's algorithm, iterative (machines with a million transitions must not overflow the stack),
/// over the subgraph induced by the states where `restrictedTo` is true.
struct StronglyConnectedComponents {
    private(set) var component: [Int32]
    private var componentSize: [Int32] = []
    private let selfLoop: [Bool]

    init(graph: StateGraph, restrictedTo inside: [Bool]) {
        let count = graph.stateCount
        var index = [Int32](repeating: -1, count: count)
        var lowLink = [Int32](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var component = [Int32](repeating: -1, count: count)
        var selfLoop = [Bool](repeating: false, count: count)
        var sizes: [Int32] = []
        var stack: [Int32] = []
        var counter: Int32 = 0
        // Explicit call stack: (state, position in its successor list).
        var frames: [(state: Int32, next: Int)] = []

        for root in 0..<count where inside[root] && index[root] < 0 {
            frames.append((Int32(root), 0))
            index[root] = counter
            lowLink[root] = counter
            counter += 1
            stack.append(Int32(root))
            onStack[root] = true
            while !frames.isEmpty {
                let top = frames.count - 1
                let state = Int(frames[top].state)
                let successors = graph.successors(of: state)
                if frames[top].next < successors.count {
                    let target = Int(successors[successors.startIndex + frames[top].next])
                    frames[top].next += 1
                    guard inside[target] else { continue }
                    if target == state { selfLoop[state] = true }
                    if index[target] < 0 {
                        index[target] = counter
                        lowLink[target] = counter
                        counter += 1
                        stack.append(Int32(target))
                        onStack[target] = true
                        frames.append((Int32(target), 0))
                    } else if onStack[target] {
                        lowLink[state] = min(lowLink[state], index[target])
                    }
                } else {
                    frames.removeLast()
                    if let parent = frames.last {
                        lowLink[Int(parent.state)] = min(lowLink[Int(parent.state)], lowLink[state])
                    }
                    if lowLink[state] == index[state] {
                        let id = Int32(sizes.count)
                        var size: Int32 = 0
                        while let member = stack.popLast() {
                            onStack[Int(member)] = false
                            component[Int(member)] = id
                            size += 1
                            if Int(member) == state { break }
                        }
                        sizes.append(size)
                    }
                }
            }
        }
        self.component = component
        self.componentSize = sizes
        self.selfLoop = selfLoop
    }

    /// On a cycle of the restricted subgraph: in a component of two or more states, or with a self-loop.
    func isOnCycle(_ state: Int) -> Bool {
        let id = component[state]
        guard id >= 0 else { return false }
        return componentSize[Int(id)] > 1 || selfLoop[state]
    }
}
