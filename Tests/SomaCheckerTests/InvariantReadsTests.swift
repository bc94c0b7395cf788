import SomaChecker
import Testing

/// What an invariant reads, as the checker resolves it: the runtime evaluates an invariant again only after a
/// turn that wrote one of its slots or moved one of its machines (docs/state.md, "Invariants").
@Suite struct InvariantReadsTests {
    static let program = """
    type Entry = { key: String, amount: Int }
    fn stamp(e: Entry) -> Bool { now() <= now() + 1s }
    fn positive(e: Entry) -> Bool { e.amount > 0 }
    fn checked(e: Entry) -> Bool { stamp(e) }

    cell Ledger {
      face { signal put(e: Entry) -> Int }
      memory {
        entries: Map<String, Entry> [persistent]
        total: Int [persistent] = 0
        limit: Int [persistent] = 100
        notes: Map<String, String> [ephemeral]
      }
      state lifecycle { open -> closed }
      let outbox = QueueService<Entry>("outbox")

      invariant scalar { total >= 0 && total <= limit }
      invariant counted { entries.count() >= 0 && entries.has("x") == entries.get("x").is_some() }
      invariant summed { total == entries.values().map(fn(e) -> e.amount).sum() }
      invariant shadowed { [1, 2].map(fn(entries) -> entries + 1).count() == 2 }
      invariant pure_call { match entries.get("a") { Some(e) => positive(e), None => true } }
      invariant through_call { match entries.get("a") { Some(e) => checked(e), None => true } }
      invariant timed { now() <= now() + 1s }
      invariant queued { outbox.size() >= 0 }
      invariant moved { lifecycle.of("a").unwrap_or("open") != "gone" }
      invariant whole { entries == entries && notes.keys().count() >= 0 }

      on put(e: Entry) { entries.set(e.key, e); total = total + e.amount; outbox.push(e); total }
    }
    """

    func reads(_ name: String) throws -> InvariantReads {
        let outcome = SomaCheck.check(source: Self.program)
        let errors = outcome.diagnostics.filter { $0.severity == .error }.map(\.message)
        #expect(errors.isEmpty, "\(errors)")
        let cell = try #require(outcome.cells.first { $0.name == "Ledger" })
        return try #require(cell.invariants.first { $0.name == name }).reads
    }

    @Test func slotsMachinesAndWholeReadsAreFound() throws {
        #expect(try reads("scalar") == InvariantReads(slots: ["total", "limit"]))
        #expect(try reads("counted") == InvariantReads(slots: ["entries"]))
        #expect(try reads("summed") == InvariantReads(slots: ["total", "entries"]))
        #expect(try reads("moved") == InvariantReads(machines: ["lifecycle"]))
        #expect(try reads("whole").scanned == ["entries", "notes"])
    }

    @Test func aLocalNamedLikeASlotIsNotTheSlot() throws {
        #expect(try reads("shadowed") == InvariantReads())
    }

    @Test func theClockAResourceOrAFunctionThatReadsTheClockIsOutsideMemory() throws {
        #expect(try reads("timed").outside)
        #expect(try reads("queued").outside)
        #expect(try reads("through_call").outside)
        let pure = try reads("pure_call")
        #expect(!pure.outside && pure.slots == ["entries"])
    }

    @Test func aWholeMapReadWarnsWhereItIsAndAPointReadDoesNot() {
        let found = diagnostics(Self.program).filter { $0.code == "invariant-scans" }
        #expect(found.map(\.line) == [26, 26], "\(found)")
        #expect(found.first?.message.contains("'whole' reads all of 'entries' (the Map itself)") == true, "\(found)")
    }

    static let sums = """
    type Entry = { key: String, amount: Int, weight: Float }
    fn doubled(e: Entry) -> Int { e.amount * 2 }
    fn stamped(e: Entry) -> Int { if now() > now() { 1 } else { 0 } }

    cell Ledger {
      face { signal put(e: Entry) -> Int }
      memory {
        entries: Map<String, Entry> [persistent]
        amounts: Map<String, Int> [persistent]
        limit: Int [persistent] = 100
      }
      invariant plain { amounts.values().sum() >= 0 }
      invariant mapped { entries.values().map(fn(e) -> e.amount).sum() <= limit * 1000 }
      invariant named { entries.values().map(doubled).sum() >= 0 }
      invariant counted { entries.values().filter(fn(e) -> e.amount > 0).count() >= 0 }
      invariant slot_read { entries.values().map(fn(e) -> e.amount + limit).sum() >= 0 }
      invariant outer_local { { let k = limit
        entries.values().map(fn(e) -> e.amount * k).sum() >= 0 } }
      invariant floats { entries.values().map(fn(e) -> e.weight).sum() >= 0.0 }
      invariant clocked { entries.values().map(stamped).sum() >= 0 }
      invariant sorted_values { entries.values().map(fn(e) -> e.amount).sorted().count() >= 0 }

      on put(e: Entry) { entries.set(e.key, e); amounts.set(e.key, e.amount); e.amount }
    }
    """

    @Test func aSumOrCountOfWhatOnlyTheValueGivesIsKeptAndAnythingElseScans() throws {
        let outcome = SomaCheck.check(source: Self.sums)
        let errors = outcome.diagnostics.filter { $0.severity == .error }.map(\.message)
        #expect(errors.isEmpty, "\(errors)")
        let cell = try #require(outcome.cells.first)
        let kept = Dictionary(uniqueKeysWithValues: cell.invariants.map { ($0.name, $0.aggregates.map(\.kind)) })
        #expect(kept["plain"] == [.sum] && kept["mapped"] == [.sum] && kept["named"] == [.sum] && kept["counted"] == [.count])
        for name in ["slot_read", "outer_local", "floats", "clocked", "sorted_values"] {
            #expect(kept[name] == [], "\(name) is not kept")
            #expect(cell.invariants.first { $0.name == name }?.reads.scanned == ["entries"], "\(name) scans")
        }
        #expect(cell.invariants.first { $0.name == "mapped" }?.reads.slots == ["entries", "limit"])
        let warned = diagnostics(Self.sums).filter { $0.code == "invariant-scans" }.map(\.line)
        #expect(warned == [16, 18, 19, 20, 21], "\(warned)")
    }

    @Test func theRuntimeSkipsAnInvariantOnlyWhenNothingItReadsWasWritten() {
        let reads = InvariantReads(slots: ["total"], machines: ["lifecycle"])
        #expect(!reads.isTouched(wroteSlot: { $0 == "entries" }, movedMachine: { _ in false }))
        #expect(reads.isTouched(wroteSlot: { $0 == "total" }, movedMachine: { _ in false }))
        #expect(reads.isTouched(wroteSlot: { _ in false }, movedMachine: { $0 == "lifecycle" }))
        #expect(InvariantReads(outside: true).isTouched(wroteSlot: { _ in false }, movedMachine: { _ in false }))
    }
}
