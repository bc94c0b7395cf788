import Foundation
import SomaChecker
import SomaDiagnostics
import SomaProtocol
import SomaResources
import SomaStorage

/// Hot swap (RUNTIME.md §6): the plan with live data, the dry run over a snapshot of memory, and the swap
/// itself — hold new turns, let running ones finish, switch memory, record the new version in the stored state
/// in one transaction (the commit point), switch the program, run `on start`, release the held turns. A failed
/// `on start` undoes the swap.
extension SwapCoordinator {
    /// The stored data a swap rewrites.
    struct SwapWork {
        struct Slot {
            var cell: String
            var slot: String
            /// The slot's type in the running program, as that program writes it.
            var written: SomaType
            /// The same type with its named types at their running versions (`Order@1`), as the new program knows them.
            var oldType: SomaType
            var newType: SomaType
            var durable: Bool
        }
        struct Queue {
            var name: String
            var element: SomaType
            var newVersion: Int
        }
        var slots: [Slot] = []
        var dropped: [(cell: String, slot: String)] = []
        var queues: [Queue] = []
        var renames: [StateRewrite.StateRename] = []
        /// Type names whose stored form changes: migrated, changed compatibly, or holding one that is.
        var affected: Set<String> = []
    }

    func swapWork(_ request: SwapRequest) -> SwapWork {
        let old = engine.program, new = request.program
        var versions: [String: Int] = [:]
        for (key, named) in old.types.types where !key.contains("@") { versions[key] = named.version }
        var work = SwapWork()
        work.affected = Set(request.analysis.types.filter { $0.kind == .migrated || $0.kind == .compatible }.map(\.name))
        var grew = true
        while grew {
            grew = false
            for (name, version) in versions where !work.affected.contains(name) {
                guard let shape = new.types["\(name)@\(version)"] else { continue }
                let fieldTypes = shape.fields.map(\.type) + shape.cases.flatMap { $0.fields.map(\.type) }
                if fieldTypes.contains(where: { $0.mentions(anyOf: work.affected) }) {
                    work.affected.insert(name)
                    grew = true
                }
            }
        }
        let retyped = Set(request.analysis.slots.filter { $0.kind == .retyped }.map { "\($0.cell).\($0.slot)" })
        for cellName in old.cellOrder {
            guard let oldCell = old.cells[cellName] else { continue }
            for oldSlot in oldCell.model.slots {
                guard let newSlot = new.cells[cellName]?.model.slot(oldSlot.name) else {
                    if oldSlot.properties.isDurable { work.dropped.append((cellName, oldSlot.name)) }
                    continue
                }
                let oldType = oldSlot.type.snapshotted(versions: versions)
                guard oldType.mentions(anyOf: work.affected) || retyped.contains("\(cellName).\(oldSlot.name)") else { continue }
                work.slots.append(.init(cell: cellName, slot: oldSlot.name, written: oldSlot.type, oldType: oldType, newType: newSlot.type,
                                        durable: oldSlot.properties.isDurable))
            }
        }
        for change in request.analysis.states where change.kind == .renamed {
            guard let to = change.renamedTo else { continue }
            work.renames.append(.init(cell: change.cell, machine: change.machine, from: change.state, to: to))
        }
        for cellName in new.cellOrder {
            for model in new.cells[cellName]?.model.resources ?? [] where model.kind == .queue {
                guard let name = model.name, model.element.mentions(anyOf: work.affected),
                      !work.queues.contains(where: { $0.name == name }) else { continue }
                work.queues.append(.init(name: name, element: model.element, newVersion: new.version(of: model.element)))
            }
        }
        return work
    }

    /// The rewrite of the stored state at the commit point, given the new version's memory (migrated already).
    /// A slot whose type goes up a version keeps its rows at the old version (lazily migrated: rewritten from
    /// memory once turns run again); any other changed slot (a compatible change, a rollback's step back) is
    /// written from memory in the transaction.
    func stateRewrite(_ work: SwapWork, _ request: SwapRequest, memories: [String: CellMemory]) -> StateRewrite {
        let old = engine.program, new = request.program
        var rewrite = StateRewrite(programVersion: request.toVersion)
        for slot in work.slots where slot.durable {
            let newVersion = new.version(of: slot.newType)
            if newVersion > old.version(of: slot.written) {
                rewrite.lazySlots.append(.init(cell: slot.cell, slot: slot.slot, version: newVersion))
            } else if let memory = memories[slot.cell] {
                rewrite.slots.append(.init(cell: slot.cell, slot: slot.slot, rows: Self.storedRows(of: slot.slot, type: slot.newType, in: memory, program: new)))
            }
        }
        rewrite.droppedSlots = work.dropped
        rewrite.renames = work.renames
        return rewrite
    }

    /// A slot's values as the store keeps them: a map's entries by encoded key, any other slot's value under "".
    static func storedRows(of slot: String, type: SomaType, in memory: CellMemory, program: RuntimeProgram) -> [(key: String, version: Int, json: String)] {
        let version = program.version(of: type)
        guard case .map(let keyType, let valueType) = type else {
            return memory.scalars[slot].map { [("", version, program.codec.encode($0, as: type))] } ?? []
        }
        return (memory.maps[slot] ?? [:]).map { key, value in
            (program.codec.encode(key, as: keyType), version, program.codec.encode(value, as: valueType))
        }
    }

    /// A map slot's stored values are its values; any other slot's, the whole value.
    static func valueTypes(_ slot: SwapWork.Slot) -> (SomaType, SomaType) {
        if case .map(_, let oldValue) = slot.oldType, case .map(_, let newValue) = slot.newType { return (oldValue, newValue) }
        return (slot.oldType, slot.newType)
    }

    // MARK: - The plan

    /// The plan with live data, its refusals, and (when nothing refuses) the dry run. Changes nothing.
    /// `keepingDryRun`: the swap follows, and the dry run's migrated memory is kept for it.
    func planSwap(_ request: SwapRequest, keepingDryRun: Bool = false) -> SwapPlan {
        let work = swapWork(request)
        var plan = planSwap(request, work: work)
        if plan.isRefused { return plan }
        dryRun(work, request, into: &plan, keeping: keepingDryRun)
        if plan.refusals.isEmpty {
            dryRunTables(tableMigrations(request.program, previous: engine.program, affected: work.affected), scratch: request.scratchFolder, into: &plan)
        }
        return plan
    }

    /// The plan with live counts and the refusals they cause, without a dry run.
    func planSwap(_ request: SwapRequest, work: SwapWork) -> SwapPlan {
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

    /// How many values these slots hold and how many keys are in these states, counted in memory (which holds
    /// everything stored) rather than in the store, whose every read would hold up the commits of running turns.
    func memoryCensus(slots: [(cell: String, slot: String)], states: [(cell: String, machine: String, state: String)]) -> StateCensus {
        engine.lock.withLock {
            var census = StateCensus()
            var seen: Set<SwapTracker.SlotID> = []
            for (cell, slot) in slots where seen.insert(.init(cell: cell, slot: slot)).inserted {
                guard let model = engine.current.cells[cell]?.model.slot(slot), model.properties.isDurable, let memory = engine.memories[cell] else { continue }
                let count = memory.maps[slot]?.count ?? (memory.scalars[slot] == nil ? 0 : 1)
                guard count > 0 else { continue }
                census.values.append(.init(cell: cell, slot: slot, version: engine.current.version(of: model.type), count: count, exampleKey: ""))
            }
            for (cell, machine, state) in states {
                let count = engine.memories[cell]?.machines[machine]?.values.reduce(0) { $0 + ($1 == state ? 1 : 0) } ?? 0
                guard count > 0 else { continue }
                census.keys.append(.init(cell: cell, machine: machine, state: state, count: count, exampleKey: ""))
            }
            return census
        }
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

    /// Every migration over a snapshot of memory (every stored and ephemeral value) and over the queued
    /// messages; the first failure becomes a `migration-fails` refusal naming its key. `keeping`: the migrated
    /// memory is kept for the swap that follows.
    func dryRun(_ work: SwapWork, _ request: SwapRequest, into plan: inout SwapPlan, keeping: Bool) {
        let started = ContinuousClock.now
        defer { plan.dryRunMilliseconds = Self.milliseconds(since: started) }
        do {
            let prepared = try prepareSwap(work, request)
            plan.dryRunChecked += prepared.migrated
            if keeping { keepPrepared(prepared) } else { dropPrepared(prepared) }
        } catch {
            dropPrepared()
            plan.refusals.append(Self.refusal(error))
            return
        }
        let upgrader = ValueUpgrader(program: request.program, previous: engine.program)
        for queue in work.queues {
            guard let handle = engine.resources.queue(queue.name) else { continue }
            let client = QueueClient(name: queue.name, socketPath: handle.endpoint)
            defer { client.close() }
            let messages = (try? client.peek(belowVersion: queue.newVersion, limit: 10_000)) ?? []
            for message in messages {
                do {
                    _ = try upgrader.upgrade(try JSONValue.parse(message.body), from: Self.snapshot(queue.element, at: message.version),
                                             to: queue.element, path: queue.name)
                    plan.dryRunChecked += 1
                } catch {
                    plan.refusals.append(.init(code: DiagnosticCode.migrationFails.rawValue,
                                               message: "migrating message \(message.id) of queue '\(queue.name)' fails: \(error)",
                                               hint: "fix the migration and swap again; nothing was changed"))
                    return
                }
            }
        }
    }

    static func refusal(_ failure: SlotMigrationFailure) -> SwapPlan.Refusal {
        .init(code: DiagnosticCode.migrationFails.rawValue,
              message: "migrating \(failure.cell).\(failure.slot) fails\(failure.key.isEmpty ? "" : " on key \(failure.key)"): \(failure.reason)",
              hint: "fix the migration (or the value) and swap again; nothing was changed")
    }

    /// The element type as a message of an older version was written: its own shape at that version.
    static func snapshot(_ element: SomaType, at version: Int) -> SomaType {
        guard case .named(let key) = element else { return element }
        return element.snapshotted(versions: [key: version])
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = (ContinuousClock.now - start).components
        return Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
    }
}
