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

    /// A sum and a count over a Map's values, kept from each turn's writes: no turn reads the Map for them.
    static let kept = """
    cell Ledger {
      face {
        signal put(k: String, v: Int) -> Int
        signal drop(k: String) -> Bool
        signal skew(k: String, v: Int) -> Int
        signal total() -> Int
      }
      memory {
        entries: Map<String, Int> [persistent]
        sum: Int [persistent] = 0
        positive: Int [persistent] = 0
      }
      invariant summed { sum == entries.values().sum() }
      invariant counted { positive == entries.values().filter(fn(v) -> v > 0).count() }
      on put(k: String, v: Int) {
        let old = entries.get(k).unwrap_or(0)
        sum = sum - old + v
        positive = positive - (if old > 0 { 1 } else { 0 }) + (if v > 0 { 1 } else { 0 })
        entries.set(k, v)
        sum
      }
      on drop(k: String) {
        let old = entries.get(k).unwrap_or(0)
        sum = sum - old
        positive = positive - (if old > 0 { 1 } else { 0 })
        entries.delete(k)
      }
      on skew(k: String, v: Int) { entries.set(k, v); sum }
      on total() { sum }
    }
    """

    func fill(_ harness: RuntimeHarness, _ keys: Range<Int>) async {
        for k in keys { #expect(await harness.send("Ledger.put", #"{"k": "k\#(k)", "v": \#(k % 5 - 1)}"#).status == 200) }
    }

    @Test func aKeptSumAndCountReadNoMapAndStillCatchABrokenTurn() async throws {
        let first = try await RuntimeHarness(Self.kept, cacheBytes: 2_048)
        await fill(first, 0..<200)
        first.close()
        let harness = try await RuntimeHarness(Self.kept, folder: first.folder, cacheBytes: 2_048)
        defer { harness.close() }
        let scans = harness.engine.cache.scans
        await fill(harness, 150..<260)
        for k in 0..<10 { #expect(await harness.send("Ledger.drop", #"{"k": "k\#(k * 7)"}"#).body == "true") }
        #expect(harness.engine.cache.scans == scans, "\(harness.engine.cache.scans - scans) turns read the whole Map")
        let broken = await harness.send("Ledger.skew", #"{"k": "k3", "v": 1000}"#)
        #expect(broken.status == 409 && broken.body.contains("summed"), "\(broken)")
        // Dropped keys were deleted; the drop of a key not stored changes nothing.
        #expect(await harness.send("Ledger.drop", #"{"k": "k7"}"#).body == "false")
        let expected = (0..<260).filter { $0 % 7 != 0 || $0 >= 70 }.reduce(0) { $0 + $1 % 5 - 1 }
        #expect(await harness.send("Ledger.total").body == "\(expected)")
    }

    @Test func anAggregateMemoryDoesNotKnowIsReadOnceAndThenKept() async throws {
        // A home filled by a version without the invariants keeps no aggregate.
        let bare = Self.kept.replacingOccurrences(of: "invariant summed", with: "// ").replacingOccurrences(of: "invariant counted", with: "// ")
        let first = try await RuntimeHarness(bare, cacheBytes: 2_048)
        await fill(first, 0..<100)
        first.close()
        let harness = try await RuntimeHarness(Self.kept, folder: first.folder, cacheBytes: 2_048)
        let scans = harness.engine.cache.scans
        await fill(harness, 100..<101)
        #expect(harness.engine.cache.scans - scans == 2, "one read of the Map for each of the two")
        await fill(harness, 101..<140)
        #expect(harness.engine.cache.scans - scans == 2)
        let broken = await harness.send("Ledger.skew", #"{"k": "k3", "v": 1000}"#)
        #expect(broken.status == 409, "\(broken)")
        harness.close()
        // What was kept is stored with the turns that kept it.
        let reopened = try await RuntimeHarness(Self.kept, folder: first.folder, cacheBytes: 2_048)
        defer { reopened.close() }
        let again = reopened.engine.cache.scans
        await fill(reopened, 140..<150)
        #expect(reopened.engine.cache.scans == again)
        #expect(await reopened.send("Ledger.total").body == "\((0..<150).reduce(0) { $0 + $1 % 5 - 1 })")
    }

    /// Another build keeps its own sums: what this one kept is forgotten when it starts, so that going back to
    /// this build after the other wrote the Map reads the Map again instead of trusting a stale sum.
    @Test func aSumKeptByAnotherBuildIsForgottenAtStart() async throws {
        let other = Self.kept + "\n// another build of the same program\n"
        let first = try await RuntimeHarness(Self.kept, cacheBytes: 2_048)
        await fill(first, 0..<50)
        first.close()
        let second = try await RuntimeHarness(other, folder: first.folder, cacheBytes: 2_048)
        await fill(second, 50..<80)
        second.close()
        let harness = try await RuntimeHarness(Self.kept, folder: first.folder, cacheBytes: 2_048)
        defer { harness.close() }
        let scans = harness.engine.cache.scans
        let put = await harness.send("Ledger.put", #"{"k": "k80", "v": 2}"#)
        #expect(put.status == 200, "\(put)")
        #expect(harness.engine.cache.scans - scans == 2, "each kept value read once")
        #expect(await harness.send("Ledger.total").body == "\((0..<80).reduce(2) { $0 + $1 % 5 - 1 })")
    }
}
