import SomaDiagnostics
import SomaSyntax

/// What invariants read, so that the runtime evaluates each only when a turn wrote something it reads
/// (docs/state.md, "Invariants"). Functions cannot read memory, but one can read the clock: what each function
/// reads is kept, and an invariant that calls one reads what it reads.
extension Checker {
    mutating func noteSlotRead(_ slot: SlotModel, whole: Bool, how: String, at span: SourceSpan) {
        guard reads != nil else { return }
        reads!.slots.insert(slot.name)
        slotReadsNoted += 1
        if whole, slot.isMap { scans.append((slot.name, span, how)) }
    }

    /// `S.values()`, or `S.values().map(f)` / `.filter(p)`, as written: what a sum or count may keep.
    struct AggregateSource {
        var slot: String
        var step: String?
        var function: Expression?
    }

    static func aggregateSource(_ base: Expression) -> AggregateSource? {
        func values(_ expression: Expression) -> String? {
            guard case .call(let callee, let types, let arguments) = expression.kind, types.isEmpty, arguments.isEmpty,
                  case .member(let owner, "values", _) = callee.kind, case .name(let slot) = owner.kind else { return nil }
            return slot
        }
        if let slot = values(base) { return AggregateSource(slot: slot) }
        guard case .call(let callee, let types, let arguments) = base.kind, types.isEmpty, arguments.count == 1, arguments[0].label == nil,
              case .member(let inner, let step, _) = callee.kind, step == "map" || step == "filter", let slot = values(inner) else { return nil }
        return AggregateSource(slot: slot, step: step, function: arguments[0].value)
    }

    static func aggregateKind(_ method: String, step: String?) -> AggregateModel.Kind? {
        switch (method, step) {
        case ("sum", nil), ("sum", "map"): return .sum
        case ("count", "filter"): return .count
        default: return nil
        }
    }

    /// Checks the list an aggregate is over, and keeps the aggregate when its function reads nothing but the
    /// value: no other slot, no machine, the clock or a resource, no local of the invariant around it (which may
    /// hold what a slot held), and a sum only of Ints (a Float sum kept by adding and taking away would drift
    /// from the sum of the values). Its read of the Map is then no scan.
    mutating func checkAggregate(_ source: AggregateSource, kind: AggregateModel.Kind, base: Expression, span: SourceSpan) -> SomaType {
        let outer = reads!, outerNotes = slotReadsNoted, outerFloor = localFloor, outerUses = usesOuterLocal, scanMark = scans.count
        (reads, slotReadsNoted, localFloor, usesOuterLocal) = (InvariantReads(), 0, scopes.count, false)
        let receiver = check(base, expected: nil)
        let inner = reads!
        let functionIsNamed: Bool = switch source.function?.kind {
        case nil, .lambda: true
        case .name(let name): local(name) == nil && functions[name] != nil
        default: false
        }
        let kept = local(source.slot) == nil && currentCell?.slot(source.slot)?.isMap == true && functionIsNamed
            && inner.slots == [source.slot] && inner.machines.isEmpty && !inner.outside && slotReadsNoted == 1 && !usesOuterLocal
            && !readsOutside(through: inner.functions) && (kind == .count || receiver == .list(.int))
        var merged = outer
        merged.slots.formUnion(inner.slots)
        merged.machines.formUnion(inner.machines)
        merged.functions.formUnion(inner.functions)
        merged.outside = merged.outside || inner.outside
        (reads, slotReadsNoted, localFloor, usesOuterLocal) = (merged, outerNotes + slotReadsNoted, outerFloor, outerUses || usesOuterLocal)
        if kept {
            aggregates.append((AggregateModel(kind: kind, slot: source.slot, span: span, function: source.function), Array(scans[scanMark...])))
            scans.removeSubrange(scanMark...)
        }
        return receiver
    }

    /// Checks one invariant and returns its model, warning where it first reads each Map whole.
    mutating func checkInvariant(_ invariant: InvariantDeclaration, cell: String) -> InvariantModel {
        context = BodyContext(kind: .invariant, cell: cell, result: nil)
        scopes = [[:]]
        reads = InvariantReads()
        scans = []
        aggregates = []
        check(invariant.condition, expected: .bool)
        var found = reads!
        reads = nil
        scopes = []
        found.outside = found.outside || readsOutside(through: found.functions)
        // What reads the clock may read it inside an aggregate's function too: nothing is kept then.
        if found.outside {
            scans += aggregates.flatMap(\.scans)
            aggregates = []
        }
        found.scanned = Set(scans.map(\.slot))
        var warned: Set<String> = []
        for scan in scans where warned.insert(scan.slot).inserted {
            diagnostics.warning(.invariantScans, "invariant '\(invariant.name)' reads all of '\(scan.slot)' (\(scan.how)): every turn that writes '\(scan.slot)' reads each of its entries",
                                at: scan.span,
                                hint: "keep what it needs in a slot of its own that handlers update (a total, a count), or accept a scan per turn; see docs/running.md")
        }
        scans = []
        let kept = aggregates.map(\.model)
        aggregates = []
        return InvariantModel(name: invariant.name, span: invariant.span, reads: found, aggregates: kept)
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
