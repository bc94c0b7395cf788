import Testing
@testable import SomaModelCheck

@Suite struct CTLModelCheckerTests {
    /// queued → running → executed → settled; running → failed → queued; queued → cancelled (the Soma paper's machine)
    let paper = StateGraph(names: ["queued", "running", "executed", "settled", "failed", "cancelled"],
                           edges: [(0, 1), (1, 2), (2, 3), (1, 4), (4, 0), (0, 5)], finals: nil)

    func formula(_ text: String) -> CTLFormula {
        switch CTLParser.parse(text) {
        case .success(let formula): return formula
        case .failure(let failure):
            Issue.record("\(text): \(failure.message)")
            return .constant(false)
        }
    }

    @Test func parserPrecedenceAndForms() {
        #expect(formula("AG(executed -> !EF cancelled)") == .allGlobally(.implies(.atom("executed"), .not(.existsFinally(.atom("cancelled"))))))
        #expect(formula("a || b && c") == .or(.atom("a"), .and(.atom("b"), .atom("c"))))
        #expect(formula("a -> b -> c") == .implies(.atom("a"), .implies(.atom("b"), .atom("c"))))
        #expect(formula("A[p U q]") == .allUntil(.atom("p"), .atom("q")))
        #expect(formula("E[true U done]") == .existsUntil(.constant(true), .atom("done")))
    }

    @Test func parserErrorsCarryAnOffset() {
        guard case .failure(let failure) = CTLParser.parse("AG(a -> ") else {
            Issue.record("should fail")
            return
        }
        #expect(failure.offset == 8)
        guard case .failure = CTLParser.parse("A[p q]") else {
            Issue.record("missing U should fail")
            return
        }
    }

    @Test func retryCycleDefeatsEventually() {
        let checker = CTLModelChecker(graph: paper)
        let eventually = CTLFormula.allFinally(.anyOf(["settled", "cancelled"]))
        #expect(!checker.holds(eventually))
        let trace = checker.counterExample(eventually, from: paper.initial)
        #expect(trace?.render(paper) == "queued → running → failed → queued → … (cycle)")
        #expect(checker.holds(.existsFinally(.atom("settled"))))
        #expect(checker.holds(.allGlobally(.implies(.atom("executed"), .allFinally(.atom("settled"))))))
    }

    @Test func finalStatesStayAndDeadlocksAreFound() {
        let graph = StateGraph(names: ["start", "working", "done", "stuck"], edges: [(0, 1), (1, 2), (0, 3)], finals: [2])
        #expect(graph.deadlocks() == [false, false, false, true])
        let checker = CTLModelChecker(graph: graph)
        let deadlockFree = CTLFormula.allGlobally(.not(.atom(CTLFormula.deadlockAtom)))
        #expect(!checker.holds(deadlockFree))
        #expect(checker.counterExample(deadlockFree, from: 0)?.render(graph) == "start → stuck (deadlock)")
        // A final state may be stayed in forever, so "eventually done" fails only through the deadlock.
        let eventually = CTLFormula.allFinally(.atom("done"))
        #expect(checker.counterExample(eventually, from: 0)?.render(graph) == "start → stuck (deadlock)")
    }

    @Test func universalUntilBothWaysToFail() {
        // a → b → c, a → a: A[a U c] fails by staying in a forever, and by reaching b (neither a nor c).
        let graph = StateGraph(names: ["a", "b", "c"], edges: [(0, 1), (1, 2), (0, 0)], finals: nil)
        let checker = CTLModelChecker(graph: graph)
        #expect(!checker.holds(.allUntil(.atom("a"), .atom("c"))))
        #expect(checker.holds(.existsUntil(.or(.atom("a"), .atom("b")), .atom("c"))))
        #expect(checker.counterExample(.allUntil(.atom("a"), .atom("c")), from: 0) != nil)
    }

    @Test func existsGloballyNeedsACycle() {
        let chain = StateGraph(names: ["a", "b", "c"], edges: [(0, 1), (1, 2)], finals: [2])
        let checker = CTLModelChecker(graph: chain)
        #expect(!checker.holds(.existsGlobally(.or(.atom("a"), .atom("b")))))
        #expect(checker.holds(.existsGlobally(.constant(true))))
        let loop = StateGraph(names: ["a", "b", "c"], edges: [(0, 1), (1, 0), (1, 2)], finals: [2])
        let loopChecker = CTLModelChecker(graph: loop)
        #expect(loopChecker.holds(.existsGlobally(.or(.atom("a"), .atom("b")))))
    }

    @Test func afterNeverPathGoesThroughTheState() {
        let graph = StateGraph(names: ["queued", "paid", "shipped", "cancelled"], edges: [(0, 1), (1, 2), (0, 3), (1, 3)], finals: [2, 3])
        let checker = CTLModelChecker(graph: graph)
        let property = CTLFormula.allGlobally(.implies(.atom("paid"), .allGlobally(.not(.atom("cancelled")))))
        #expect(checker.counterExample(property, from: 0)?.render(graph) == "queued → paid → cancelled")
    }

    @Test func largeMachinesDoNotOverflowTheStack() {
        // A ring of 200,000 states with chords: iterative Tarjan and searches must cope.
        let count = 200_000
        var edges: [(Int, Int)] = []
        for state in 0..<count {
            edges.append((state, (state + 1) % count))
            edges.append((state, (state * 7 + 3) % count))
        }
        let graph = StateGraph(names: (0..<count).map { "s\($0)" }, edges: edges, finals: [])
        let checker = CTLModelChecker(graph: graph)
        #expect(checker.holds(.existsGlobally(.constant(true))))
        #expect(!checker.holds(.allFinally(.atom("s12345"))))
        #expect(checker.holds(.existsFinally(.atom("s199999"))))
    }
}
