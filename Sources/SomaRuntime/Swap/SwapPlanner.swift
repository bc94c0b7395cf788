import Foundation
import SomaChecker
import SomaDiagnostics
import SomaProtocol
import SomaResources
import SomaStorage

/// A swap's plan with live data (RUNTIME.md §6): what it migrates and how much, what it changes, and what live
/// data refuses it (values in a dropped slot, keys in a removed state, messages a version cannot read). It
/// counts in memory, which holds everything stored, and asks the queues; it changes nothing.
struct SwapPlanner {
    unowned let engine: TurnEngine

    /// The plan with live counts and the refusals they cause, without a dry run.
    func plan(_ request: SwapRequest, work: SwapWork) -> SwapPlan {
        var plan = SwapPlan(fromVersion: request.fromVersion, toVersion: request.toVersion)
        plan.restores = request.restores
        let analysis = request.analysis
        let census = memoryCensus(slots: work.slots.map { ($0.cell, $0.slot) } + analysis.slots.map { ($0.cell, $0.slot) },
                                  states: analysis.states.map { ($0.cell, $0.machine, $0.state) })
        let queueStats = queueCensus(work)
        plan.types = analysis.types.map {
            SwapPlan.TypeLine(name: $0.name, kind: $0.kind.rawValue, from: $0.oldVersion, to: $0.newVersion, details: $0.details)
        }
        let values = { (cell: String, slot: String) in census.values.filter { $0.cell == cell && $0.slot == slot }.reduce(0) { $0 + $1.count } }
        for change in analysis.types where change.kind == .migrated || change.kind == .compatible {
            let names: Set<String> = [change.name]
            let touched = work.slots.filter { $0.durable && $0.oldType.mentions(anyOf: names) }.reduce(0) { $0 + values($1.cell, $1.slot) }
            let messages = work.queues.filter { $0.element.mentions(anyOf: names) }.reduce(0) { total, queue in
                total + (queueStats[queue.name]?.filter { (Int($0.key) ?? 0) < queue.newVersion }.reduce(0) { $0 + $1.value } ?? 0)
            }
            guard change.kind == .migrated || touched + messages > 0 else { continue }
            let what = change.kind == .migrated ? "\(change.name) \(change.oldVersion ?? 0) → \(change.newVersion ?? 0)" : "\(change.name) (read as it is, rewritten)"
            plan.migrations.append(.init(what: what, values: touched, messages: messages, rows: 0))
        }
        for change in analysis.slots {
            plan.slots.append(.init(subject: "\(change.cell).\(change.slot)", change: "\(change.kind.rawValue): \(change.detail)",
                                    count: change.kind == .added ? nil : values(change.cell, change.slot)))
        }
        for change in analysis.states {
            let keys = census.keys.filter { $0.cell == change.cell && $0.machine == change.machine && $0.state == change.state }.reduce(0) { $0 + $1.count }
            let subject = "\(change.cell).\(change.machine)"
            switch change.kind {
            case .renamed: plan.states.append(.init(subject: subject, change: "renamed \(change.state) → \(change.renamedTo ?? "?")", count: keys))
            case .removed: plan.states.append(.init(subject: subject, change: "removed state \(change.state)", count: keys))
            case .added: plan.states.append(.init(subject: subject, change: "added state \(change.state)", count: nil))
            case .machineAdded: plan.states.append(.init(subject: subject, change: "new state machine", count: nil))
            case .machineRemoved: plan.states.append(.init(subject: subject, change: "removed state machine", count: nil))
            }
        }
        for change in analysis.resources {
            let verb = change.kind == .added ? "provisioned" : change.kind == .orphaned ? "orphaned" : "changed"
            plan.resources.append(.init(subject: "\(change.name) \(change.type)", change: "\(verb): \(change.detail)", count: nil))
        }
        for change in analysis.face {
            plan.face.append(.init(subject: "\(change.cell).\(change.signal)", change: "\(change.kind.rawValue): \(change.detail)", count: nil))
        }
        do {
            plan.refusals = refusals(analysis, census: try conditionCensus(analysis), queueStats: queueStats, program: request.program)
        } catch {
            plan.refusals.append(.init(code: "state-read", message: "\(error)"))
            return plan
        }
        plan.refusals += newerMessages(work, queueStats: queueStats)
        let shapes = Self.faceShapeWarnings(analysis, from: request.fromVersion, to: request.toVersion)
        if request.strictFace {
            plan.refusals += shapes.map { SwapPlan.Refusal(code: $0.code, message: $0.message, hint: "without --strict-face the swap goes ahead; or keep the signal's shapes and add a new signal beside it") }
        } else if !shapes.isEmpty {
            plan.warnings = shapes
        }
        if engine.store.refusesWrites {
            plan.refusals.append(.init(code: "disk-full", message: "the disk holding the program's state is full; a swap writes it",
                                       hint: "free space; writes resume by themselves, then swap again"))
        }
        let quarantined = engine.quarantined
        if let first = quarantined.first {
            // A migration cannot read what does not read; carrying it over unread would hide it from the new code.
            plan.refusals.append(.init(code: "quarantined-values",
                                       message: "\(SwapPlan.count(quarantined.count, "stored value")) do not read, \(first.subject) first",
                                       hint: "`soma repair` lists them and removes or replaces each; then swap again"))
        }
        return plan
    }

    /// One warning per signal whose accepted or returned shape changes: old clients keep working only as far
    /// as it says.
    static func faceShapeWarnings(_ analysis: SwapAnalysis, from: Int, to: Int) -> [SwapPlan.Refusal] {
        analysis.face.filter { $0.acceptedShapeChanges || $0.returnedShapeChanges }.map { change in
            var parts: [String] = []
            if change.acceptedShapeChanges {
                parts.append(change.previousParameters.isEmpty
                             ? "what callers send changes, and bodies in version \(from)'s shape still read as they are"
                             : "what callers send changes; a body in version \(from)'s shape is read through its migration")
            }
            if change.returnedShapeChanges { parts.append("results go out in version \(to)'s shape") }
            return SwapPlan.Refusal(code: "face-shape-change", message: "\(change.cell).\(change.signal): \(parts.joined(separator: "; ")) (\(change.detail))")
        }
    }

    /// How many values these slots hold and how many keys are in these states, counted in memory (which counts
    /// every stored key of a Map, and holds the states) rather than in the store.
    func memoryCensus(slots: [(cell: String, slot: String)], states: [(cell: String, machine: String, state: String)]) -> StateCensus {
        var pending: [Int] = []
        var census = engine.lock.withLock {
            var census = StateCensus()
            var seen: Set<SwapTracker.SlotID> = []
            for (cell, slot) in slots where seen.insert(.init(cell: cell, slot: slot)).inserted {
                guard let model = engine.current.cells[cell]?.model.slot(slot), model.properties.isDurable, let memory = engine.memories[cell] else { continue }
                let cache = memory.cache(of: slot)
                if cache?.countIsPending == true { pending.append(census.values.count) }
                census.values.append(.init(cell: cell, slot: slot, version: engine.current.version(of: model.type),
                                           count: cache?.count ?? (memory.scalars[slot] == nil ? 0 : 1), exampleKey: ""))
            }
            for (cell, machine, state) in states {
                let count = engine.memories[cell]?.machines[machine]?.values.reduce(0) { $0 + ($1 == state ? 1 : 0) } ?? 0
                guard count > 0 else { continue }
                census.keys.append(.init(cell: cell, machine: machine, state: state, count: count, exampleKey: ""))
            }
            return census
        }
        // A count inserts left pending is read from the store, as committed, off the engine's lock (the plan's
        // figure, not a decision).
        for index in pending {
            let line = census.values[index]
            if let stored = try? engine.store.storedCount(cell: line.cell, slot: line.slot) { census.values[index].count = stored }
        }
        census.values.removeAll { $0.count == 0 }
        return census
    }

    /// Messages per type version of each queue whose element the swap migrates.
    func queueCensus(_ work: SwapWork) -> [String: [String: Int]] {
        var found: [String: [String: Int]] = [:]
        for queue in work.queues {
            guard let handle = engine.resources.queue(queue.name) else { continue }
            let client = QueueClient(name: queue.name, socketPath: handle.endpoint)
            defer { client.close() }
            found[queue.name] = (try? client.stats())?.versions ?? [:]
        }
        return found
    }

    /// Queued messages of a later version of their type than the new program reads (after a rollback, the
    /// consumer could not read them): refused until the queue's consumers have emptied them.
    func newerMessages(_ work: SwapWork, queueStats: [String: [String: Int]]) -> [SwapPlan.Refusal] {
        work.queues.compactMap { queue in
            let newer = (queueStats[queue.name] ?? [:]).filter { (Int($0.key) ?? 0) > queue.newVersion }
            let count = newer.values.reduce(0, +)
            guard count > 0 else { return nil }
            let versions = newer.keys.compactMap(Int.init).sorted().map(String.init).joined(separator: ", ")
            return SwapPlan.Refusal(code: DiagnosticCode.queueTypeChange.rawValue,
                                    message: "the queue '\(queue.name)' holds \(SwapPlan.count(count, "message")) of version \(versions) of \(queue.element.plainDescription), which version \(queue.newVersion) cannot read",
                                    hint: "let its consumers empty it, then try again")
        }
    }

    /// The changes refused because of live data, with counts and an example key.
    func refusals(_ analysis: SwapAnalysis, census: StateCensus, queueStats: [String: [String: Int]], program: RuntimeProgram) -> [SwapPlan.Refusal] {
        var refusals: [SwapPlan.Refusal] = []
        for condition in analysis.conditions {
            var found = ""
            switch condition.subject {
            case .slotData(let cell, let slot):
                let rows = census.values.filter { $0.cell == cell && $0.slot == slot }
                let count = rows.reduce(0) { $0 + $1.count }
                if count > 0 { found = "it holds \(SwapPlan.count(count, "value"))\(rows.first.map { $0.exampleKey.isEmpty ? "" : " (e.g. key \($0.exampleKey))" } ?? "")" }
            case .liveKeys(let cell, let machine, let state):
                let rows = census.keys.filter { $0.cell == cell && $0.machine == machine && $0.state == state }
                let count = rows.reduce(0) { $0 + $1.count }
                if count > 0 { found = "\(SwapPlan.count(count, "live key")) \(count == 1 ? "is" : "are") in it (e.g. \(rows[0].exampleKey))" }
            case .queueMessages(let resource):
                var count = queueStats[resource]?.values.reduce(0, +) ?? 0
                if queueStats[resource] == nil, let handle = engine.resources.queue(resource) {
                    let client = QueueClient(name: resource, socketPath: handle.endpoint)
                    count = (try? client.stats())?.size ?? 0
                    client.close()
                }
                if count > 0 { found = "it holds \(SwapPlan.count(count, "message"))" }
            }
            guard !found.isEmpty else { continue }
            refusals.append(.init(code: condition.code.rawValue, message: "\(condition.message), and \(found)", hint: condition.hint,
                                  location: Self.location(condition.span, in: program)))
        }
        return refusals
    }

    static func location(_ span: SourceSpan, in program: RuntimeProgram) -> String? {
        guard let file = program.sources.file(span.file) else { return nil }
        let position = file.position(of: span.start)
        return "\(file.path):\(position.line):\(position.column)"
    }

    /// Counts what the analysis's conditions are about (a dropped slot's values, a removed state's keys), and nothing else.
    func conditionCensus(_ analysis: SwapAnalysis) throws -> StateCensus {
        var slots: [(cell: String, slot: String)] = [], states: [(cell: String, machine: String, state: String)] = []
        for condition in analysis.conditions {
            switch condition.subject {
            case .slotData(let cell, let slot): slots.append((cell, slot))
            case .liveKeys(let cell, let machine, let state): states.append((cell, machine, state))
            case .queueMessages: break
            }
        }
        guard !slots.isEmpty || !states.isEmpty else { return StateCensus() }
        return try engine.store.census(slots: slots, states: states)
    }
}
