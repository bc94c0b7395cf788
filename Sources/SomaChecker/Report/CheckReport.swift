import SomaDiagnostics

/// Renders a check outcome for people: diagnostics, then per cell what was verified.
public struct CheckReport: Sendable {
    public let outcome: CheckOutcome

    public init(_ outcome: CheckOutcome) {
        self.outcome = outcome
    }

    public func text() -> String {
        var sections: [String] = []
        let renderer = DiagnosticRenderer(sources: outcome.sources)
        if !outcome.diagnostics.isEmpty {
            sections.append(renderer.renderAll(outcome.diagnostics))
        }
        let semanticErrors = outcome.diagnostics.contains { $0.severity == .error && !$0.code.rawValue.hasPrefix("verify-") }
        var lines: [String] = []
        for cell in outcome.cells {
            if !semanticErrors {
                lines.append("Cell '\(cell.name)':")
                lines += cellLines(cell).map { "  ✓ \($0)" }
                lines.append("Scale of '\(cell.name)':")
                lines += scaleLines(cell).map { "  ✓ \($0)" }
            }
            for verification in outcome.verifications where verification.machine.cell == cell.name {
                lines.append("State machine '\(verification.machine.qualifiedName)':")
                lines.append("  ✓ \(verification.stateCount) states, \(verification.transitionCount) transitions; initial '\(verification.machine.states.first ?? "")'; final: \(verification.machine.finals.joined(separator: ", "))")
                for result in verification.results {
                    lines.append("  \(result.holds ? "✓" : "✗") \(result.property) — \(result.detail)")
                }
            }
        }
        if !lines.isEmpty { sections.append(lines.joined(separator: "\n")) }
        sections.append(summary())
        return sections.joined(separator: "\n\n")
    }

    func summary() -> String {
        let errors = outcome.errorCount, warnings = outcome.warningCount
        let counts = "\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")"
        let suppressed = outcome.suppressed > 0 ? " (\(outcome.suppressed) not shown)" : ""
        return "\(outcome.program.root.path): \(errors == 0 ? "ok" : "failed") — \(counts)\(suppressed)"
    }

    func cellLines(_ cell: CellModel) -> [String] {
        var lines: [String] = []
        let signalCount = cell.signals.count
        lines.append("face: \(signalCount) signal\(signalCount == 1 ? "" : "s"), each with one handler and typed parameters and result")
        if !cell.slots.isEmpty {
            lines.append("memory: " + cell.slots.map { "'\($0.name)' \($0.type) [\($0.properties.summary)]" }.joined(separator: "; "))
        }
        for resource in cell.resources {
            var extra: [String] = []
            if let engine = resource.engine { extra.append("engine \(engine)") }
            extra.append("on \(resource.host ?? "local")")
            let consumed = resource.kind == .queue ? ", consumed by 'on \(resource.binding)'" : ""
            lines.append("resource '\(resource.name ?? resource.binding)': \(resource.typeDescription) (\(extra.joined(separator: ", ")))\(consumed)")
        }
        for invariant in cell.invariants {
            lines.append("invariant '\(invariant.name)' checked after \(Self.when(invariant.reads))")
        }
        if !cell.timers.isEmpty {
            lines.append("timers: every " + cell.timers.map(Self.duration).joined(separator: ", every "))
        }
        return lines
    }

    /// Which turns check an invariant: those that write what it reads (docs/state.md, "Invariants").
    static func when(_ reads: InvariantReads) -> String {
        if reads.outside { return "every turn (it reads the clock, a uuid or a resource)" }
        let parts = reads.slots.sorted().map { "'\($0)'" } + reads.machines.sorted().map { "state '\($0)'" }
        if parts.isEmpty { return "the first turn only (it reads no memory)" }
        let scans = reads.scanned.isEmpty ? "" : ", reading every entry of " + reads.scanned.sorted().map { "'\($0)'" }.joined(separator: ", ")
        return "every turn that writes \(parts.joined(separator: " or "))\(scans)"
    }

    func scaleLines(_ cell: CellModel) -> [String] {
        let scale = cell.scale
        var lines = ["replicas: \(scale.replicas) instance\(scale.replicas == 1 ? "" : "s") declared"]
        lines.append("tolerance: survives \(scale.tolerance) node failure\(scale.tolerance == 1 ? "" : "s") (of \(scale.replicas) replica\(scale.replicas == 1 ? "" : "s"))")
        switch scale.consistency {
        case .strong:
            lines.append("quorum: \(scale.quorum)/\(scale.replicas) nodes needed — tolerates \(scale.replicas - scale.quorum) failure\(scale.replicas - scale.quorum == 1 ? "" : "s")")
            lines.append("CAP: CP mode — consistent + partition-tolerant")
        case .causal:
            lines.append("CAP: AP mode — available + partition-tolerant, causally consistent")
        case .eventual:
            lines.append("CAP: AP mode — available + partition-tolerant, converges eventually")
        }
        if let shard = scale.shard {
            lines.append("shard: by the keys of '\(shard)'")
        }
        if scale.cpu != nil || scale.memory != nil {
            lines.append("per replica: " + [scale.cpu.map { "\($0) CPU\($0 == 1 ? "" : "s")" }, scale.memory].compactMap { $0 }.joined(separator: ", "))
        }
        if !scale.hosts.isEmpty {
            lines.append("hosts: " + scale.hosts.joined(separator: ", "))
        }
        for slot in cell.slots where slot.properties.local {
            lines.append("memory '\(slot.name)' is node-local — not distributed (fast path)")
        }
        return lines
    }

    static func duration(_ milliseconds: Int) -> String {
        for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)] where milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }
}
