/// A path from some state, as evidence that a property fails: a finite prefix, and how it goes on.
public struct Trace: Equatable, Sendable {
    public enum Ending: Equatable, Sendable {
        /// The last state is where the property fails.
        case stop
        /// The path returns to `states[index]` and repeats forever.
        case cycle(returnsTo: Int)
        /// The path stays in a final state forever.
        case staysFinal
        /// The path is stuck in a state that is neither final nor able to move.
        case deadlock
    }

    public var states: [Int]
    public var ending: Ending

    public init(states: [Int], ending: Ending) {
        self.states = states
        self.ending = ending
    }

    /// `queued → running → failed → queued → … (cycle)`
    public func render(_ graph: StateGraph) -> String {
        var text = states.map { graph.names[$0] }.joined(separator: " → ")
        switch ending {
        case .stop:
            if let last = states.last, graph.hasNoExit[last] && !graph.isFinal[last] { text += " (deadlock)" }
        case .cycle(let index):
            text += " → \(graph.names[states[index]]) → … (cycle)"
        case .staysFinal:
            text += " (final: stays there)"
        case .deadlock:
            text += " (deadlock)"
        }
        return text
    }

    /// This path followed by `next`, which starts where this one ends.
    func followed(by next: Trace) -> Trace {
        let offset = states.count - 1
        let ending: Ending
        if case .cycle(let index) = next.ending {
            ending = .cycle(returnsTo: index + offset)
        } else {
            ending = next.ending
        }
        return Trace(states: states + next.states.dropFirst(), ending: ending)
    }
}
