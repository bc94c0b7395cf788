import SomaRuntime
import Testing

/// Which waits between cells' lanes close a cycle, without lanes or threads.
@Suite struct WaitForGraphTests {
    @Test func twoCellsCallingEachOtherCloseACycle() {
        var graph = WaitForGraph()
        #expect(graph.wait(from: "A", to: "B") == nil)
        #expect(graph.wait(from: "B", to: "A") == ["B", "A", "B"])
    }

    @Test func aLongerChainClosesItsCycleAtTheLastWait() {
        var graph = WaitForGraph()
        #expect(graph.wait(from: "A", to: "B") == nil)
        #expect(graph.wait(from: "B", to: "C") == nil)
        #expect(graph.wait(from: "C", to: "A") == ["C", "A", "B", "C"])
        #expect(graph.wait(from: "C", to: "D") == nil, "the refused wait was not added")
    }

    @Test func aCellCallingItselfIsACycle() {
        var graph = WaitForGraph()
        #expect(graph.wait(from: "A", to: "A") == ["A", "A"])
    }

    @Test func aReturnedCallNoLongerCounts() {
        var graph = WaitForGraph()
        #expect(graph.wait(from: "A", to: "B") == nil)
        graph.done(from: "A")
        #expect(graph.wait(from: "B", to: "A") == nil)
    }

    @Test func waitsThatCloseNoCycleAreNeverRefused() {
        var graph = WaitForGraph()
        // Many lanes waiting for one, and a chain into it: a tree, no cycle.
        for index in 0..<50 { #expect(graph.wait(from: "c\(index)", to: "hub") == nil) }
        #expect(graph.wait(from: "hub", to: "leaf") == nil)
        #expect(graph.wait(from: "leaf", to: "c0") == ["leaf", "c0", "hub", "leaf"])
    }
}
