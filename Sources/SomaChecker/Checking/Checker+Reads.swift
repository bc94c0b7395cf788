import SomaDiagnostics
import SomaSyntax

/// What invariants read, so that the runtime evaluates each only when a turn wrote something it reads
/// (docs/state.md, "Invariants"). Functions cannot read memory, but one can read the clock: what each function
/// reads is kept, and an invariant that calls one reads what it reads.
extension Checker {
    mutating func noteSlotRead(_ slot: SlotModel, whole: Bool, how: String, at span: SourceSpan) {
        guard reads != nil else { return }
        reads!.slots.insert(slot.name)
        if whole, slot.isMap {
            reads!.scanned.insert(slot.name)
            scans.append((slot.name, span, how))
        }
    }

    /// Checks one invariant and returns its model, warning where it first reads each Map whole.
    mutating func checkInvariant(_ invariant: InvariantDeclaration, cell: String) -> InvariantModel {
        context = BodyContext(kind: .invariant, cell: cell, result: nil)
        scopes = [[:]]
        reads = InvariantReads()
        scans = []
        check(invariant.condition, expected: .bool)
        var found = reads!
        reads = nil
        scopes = []
        found.outside = found.outside || readsOutside(through: found.functions)
        var warned: Set<String> = []
        for scan in scans where warned.insert(scan.slot).inserted {
            diagnostics.warning(.invariantScans, "invariant '\(invariant.name)' reads all of '\(scan.slot)' (\(scan.how)): every turn that writes '\(scan.slot)' reads each of its entries",
                                at: scan.span,
                                hint: "keep what it needs in a slot of its own that handlers update (a total, a count), or accept a scan per turn; see docs/running.md")
        }
        scans = []
        return InvariantModel(name: invariant.name, span: invariant.span, reads: found)
    }

    /// Whether any of these functions, or a function they call, reads the clock or makes a uuid.
    func readsOutside(through names: Set<String>) -> Bool {
        var seen: Set<String> = []
        var pending = Array(names)
        while let name = pending.popLast() {
            guard seen.insert(name).inserted, let found = functionReads[name] else { continue }
            if found.outside { return true }
            pending += found.functions
        }
        return false
    }
}
