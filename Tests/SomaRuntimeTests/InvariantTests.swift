import Foundation
import SomaRuntime
import Testing

/// An invariant held at the last commit, and a turn that writes nothing it reads leaves it holding: the turn
/// does not evaluate it (docs/state.md, "Invariants"). One that reads the clock or a resource is evaluated
/// after every turn, and a new memory (a start, a swap) evaluates each once before it skips any.
@Suite struct InvariantTests {
    static let program = """
    cell Ledger {
      face {
        signal put(k: String, v: Int) -> Int
        signal skew(k: String, v: Int) -> Int
        signal touch() -> Int
        signal note(k: String) -> Int
      }
      memory {
        entries: Map<String, Int> [persistent]
        sum: Int [persistent] = 0
        touches: Int [persistent] = 0
        notes: Map<String, Int> [persistent]
      }
      invariant summed { sum == entries.values().sum() }
      invariant touched { touches >= 0 }
      invariant timed { now() <= now() + 1s }
      on put(k: String, v: Int) { sum = sum - entries.get(k).unwrap_or(0) + v; entries.set(k, v); sum }
      on skew(k: String, v: Int) { entries.set(k, v); sum }
      on touch() { touches = touches + 1; touches }
      on note(k: String) { notes.set(k, 1); notes.count() }
    }
    """

    /// (evaluated, skipped) since the last call.
    final class Counts {
        let engine: TurnEngine
        var last = (evaluated: 0, skipped: 0)
        init(_ engine: TurnEngine) { self.engine = engine }
        func since() -> (Int, Int) {
            let now = (engine.invariantCounts.evaluated, engine.invariantCounts.skipped)
            defer { last = now }
            return (now.0 - last.evaluated, now.1 - last.skipped)
        }
    }

    @Test func aTurnEvaluatesOnlyTheInvariantsThatReadWhatItWrote() async throws {
        let harness = try await RuntimeHarness(Self.program)
        defer { harness.close() }
        let counts = Counts(harness.engine)
        // A new memory: the first turn evaluates all three.
        #expect(await harness.send("Ledger.touch").body == "1")
        #expect(counts.since() == (3, 0))
        for k in 0..<20 { #expect(await harness.send("Ledger.put", #"{"k": "k\#(k)", "v": 2}"#).status == 200) }
        // `summed` and `timed` each time; `touched` reads nothing a put writes.
        #expect(counts.since() == (40, 20))
        #expect(await harness.send("Ledger.touch").body == "2")
        #expect(await harness.send("Ledger.note", #"{"k": "a"}"#).body == "1")
        #expect(counts.since() == (3, 3))
    }

    @Test func aTurnThatBreaksAnInvariantItTouchesStillAborts() async throws {
        let harness = try await RuntimeHarness(Self.program)
        defer { harness.close() }
        _ = await harness.send("Ledger.put", #"{"k": "a", "v": 5}"#)
        let broken = await harness.send("Ledger.skew", #"{"k": "a", "v": 6}"#)
        #expect(broken.status == 409 && broken.body.contains("summed"), "\(broken)")
        // Skipped invariants were not made true by skipping: the abort changed nothing.
        #expect(await harness.send("Ledger.touch").body == "1")
        #expect(await harness.send("Ledger.put", #"{"k": "a", "v": 7}"#).body == "7")
    }

    @Test func aRestartEvaluatesEveryInvariantOnceAgain() async throws {
        let first = try await RuntimeHarness(Self.program)
        _ = await first.send("Ledger.touch")
        _ = await first.send("Ledger.touch")
        first.close()
        let harness = try await RuntimeHarness(Self.program, folder: first.folder)
        defer { harness.close() }
        let counts = Counts(harness.engine)
        #expect(await harness.send("Ledger.note", #"{"k": "a"}"#).body == "1")
        #expect(counts.since() == (3, 0))
        #expect(await harness.send("Ledger.note", #"{"k": "b"}"#).body == "2")
        #expect(counts.since() == (1, 2))
    }
}
