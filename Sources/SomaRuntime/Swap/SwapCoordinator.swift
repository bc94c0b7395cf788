import Foundation
import SomaChecker
import SomaControl
import SomaDiagnostics
import SomaProtocol
import SomaResources
import SomaStorage

/// Hot swap (RUNTIME.md §6) for one engine: the plan with live data (`SwapPlanner`), the dry run over a
/// snapshot of memory and the switch to the new memory (`MemoryMigration`), the rebuild of changed tables
/// (`TableMigrator`), and the rewrite of stored values a swap left at their old version (`Restamper`). The
/// coordinator puts them in order: hold new turns, let running ones finish, switch memory, record the new
/// version in the stored state in one transaction (the commit point), switch the program, run `on start`,
/// release the held turns. A failed `on start` undoes the swap.
final class SwapCoordinator: Sendable {
    unowned let engine: TurnEngine
    let planner: SwapPlanner
    let memory: MemoryMigration
    let tables: TableMigrator
    let restamper: Restamper

    init(engine: TurnEngine) {
        self.engine = engine
        planner = SwapPlanner(engine: engine)
        memory = MemoryMigration(engine: engine)
        tables = TableMigrator(engine: engine)
        restamper = Restamper(engine: engine)
    }

    /// The plan with live data, its refusals, and (when nothing refuses) the dry run. Changes nothing.
    /// `keepingDryRun`: the swap follows, and the dry run's migrated memory is kept for it.
    func planSwap(_ request: SwapRequest, keepingDryRun: Bool = false) -> SwapPlan {
        let work = SwapWork(request, running: engine.program)
        var plan = planner.plan(request, work: work)
        if plan.isRefused { return plan }
        dryRun(work, request, into: &plan, keeping: keepingDryRun)
        if plan.refusals.isEmpty {
            tables.dryRun(tables.migrations(request.program, previous: engine.program, affected: work.affected), scratch: request.scratchFolder, into: &plan)
        }
        return plan
    }

    /// Every migration over a snapshot of memory (every stored and ephemeral value) and over the queued
    /// messages; the first failure becomes a `migration-fails` refusal naming its key. `keeping`: the migrated
    /// memory is kept for the swap that follows.
    func dryRun(_ work: SwapWork, _ request: SwapRequest, into plan: inout SwapPlan, keeping: Bool) {
        let started = ContinuousClock.now
        defer { plan.dryRunMilliseconds = (ContinuousClock.now - started).inMilliseconds }
        do {
            let prepared = try memory.prepare(work, request)
            plan.dryRunChecked += prepared.migrated
            if let broken = brokenInvariant(request.program, try memory.preview(prepared, work, request), keeping: false) {
                plan.refusals.append(broken)
            }
            if keeping { memory.keep(prepared) } else { memory.drop(prepared) }
        } catch {
            memory.drop()
            plan.refusals.append(error.refusal)
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
                    _ = try upgrader.upgrade(try JSONValue.parse(message.body), from: ValueUpgrader.element(queue.element, writtenAt: message.version),
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

    /// Applies a swap: plans it again with the data as it is now, migrates memory (the plan's dry run when it
    /// was kept for this swap, else now, while turns go on), provisions the new version's resources, holds new
    /// turns (they wait at the gate), lets running turns and pending effects finish, migrates what turns wrote
    /// since the dry run, records the new version in the stored state in one transaction (the commit point),
    /// switches program and memory, runs `on start`, and releases the held turns; stored values of a type that
    /// went up a version are rewritten after that. Before the commit point a refusal changes nothing; a failed
    /// `on start` undoes the swap.
    func applySwap(_ request: SwapRequest) async throws(SwapRefused) -> SwapPlan {
        let started = ContinuousClock.now
        SwapCheckpoint.applying.reach()
        let work = SwapWork(request, running: engine.program)
        var plan = planner.plan(request, work: work)
        if plan.isRefused {
            memory.drop()
            throw SwapRefused(plan: plan)
        }
        let prepared: PreparedSwap
        if let kept = memory.take(for: request) {
            prepared = kept
        } else {
            let dryRun = await OwnThread.run { [self] () -> Result<PreparedSwap, SlotMigrationFailure> in
                do throws(SlotMigrationFailure) { return .success(try memory.prepare(work, request)) } catch { return .failure(error) }
            }
            switch dryRun {
            case .success(let fresh): prepared = fresh
            case .failure(let failure):
                memory.drop()
                plan.refusals.append(failure.refusal)
                throw SwapRefused(plan: plan)
            }
        }
        let old = engine.program, new = request.program
        do {
            try engine.openBindings(new)
        } catch {
            memory.drop()
            plan.refusals.append(.init(code: "resource-failed", message: "the new version's resources cannot be provisioned: \(error)"))
            throw SwapRefused(plan: plan)
        }
        engine.stopBackground()
        let held = ContinuousClock.now
        guard await engine.gate.close(waitingUpTo: 30) else {
            memory.drop()
            engine.startBackground(old)
            plan.refusals.append(.init(code: "turns-running", message: "running turns did not finish within 30 s; nothing was changed"))
            throw SwapRefused(plan: plan)
        }
        func abandon(_ code: String, _ message: String, hint: String? = nil) -> SwapRefused {
            memory.drop()
            engine.startBackground(old)
            engine.gate.open()
            plan.refusals.append(.init(code: code, message: message, hint: hint))
            return SwapRefused(plan: plan)
        }
        do {
            try await engine.store.waitUntilDurable(engine.store.visibleSequence)
        } catch {
            throw abandon("state-commit", "\(error)")
        }
        let (idle, behind) = engine.pump.waitUntilIdle(timeout: 10)
        guard idle else {
            throw abandon("effects-pending", "effects of committed turns have not reached \(behind.joined(separator: ", ")) within 10 s; nothing was changed",
                          hint: "check the resource with 'soma resources list', then swap again")
        }
        let census: StateCensus
        do {
            census = try planner.conditionCensus(request.analysis)
        } catch {
            throw abandon("state-read", "\(error)")
        }
        let queueStats = planner.queueCensus(work)
        let late = planner.refusals(request.analysis, census: census, queueStats: queueStats, program: new) + planner.newerMessages(work, queueStats: queueStats)
        guard late.isEmpty else {
            plan.refusals.append(contentsOf: late.dropLast())
            throw abandon(late.last!.code, late.last!.message + " (data changed since the plan)", hint: late.last!.hint)
        }
        let oldMemories: [String: CellMemory], fresh: [String: CellMemory]
        do {
            (oldMemories, fresh) = try memory.switchMemory(prepared, work, request)
        } catch {
            let refusal = error.refusal
            throw abandon(refusal.code, refusal.message, hint: refusal.hint)
        }
        if let broken = brokenInvariant(new, fresh) {
            throw abandon(broken.code, broken.message, hint: broken.hint)
        }

        // The commit point: from here the app is on the new version, also after a crash.
        let rewrite: StateRewrite
        do {
            var planned = work.stateRewrite(request, running: old, memories: fresh)
            planned.beforeCommit = { SwapCheckpoint.migrating.reach() }
            try engine.store.rewrite(planned)
            rewrite = planned
        } catch {
            throw abandon("state-swap", "\(error)")
        }
        engine.lock.withLock {
            engine.memories = fresh
            engine.current = new
            engine.cache.reset(to: fresh.values.reduce(0) { $0 + $1.cachedBytes })
        }
        let rebuilt = tables.migrations(new, previous: old, affected: work.affected)
        do {
            try tables.migrate(rebuilt)
        } catch {
            tables.restore(rebuilt)
            undo(to: old, memories: oldMemories, version: request.fromVersion)
            throw abandon("migration-fails", "migrating the tables failed: \(error); the swap was undone")
        }
        SwapCheckpoint.switched.reach()
        if let failure = await runStartHandlers(new) {
            tables.restore(rebuilt)
            undo(to: old, memories: oldMemories, version: request.fromVersion)
            throw abandon("start-failed", "the new version's on start aborted: \(failure); the swap was undone",
                          hint: "fix 'on start' and swap again")
        }
        SwapCheckpoint.started.reach()
        try? engine.store.finishRewrite()
        tables.dropArchives(rebuilt)
        Self.letGoOfShared(prepared, oldMemories, work)
        restamper.start(rewrite.lazySlots, afterSwap: true)
        engine.startBackground(new)
        plan.heldTurns = engine.gate.heldCount
        engine.gate.open()
        plan.heldMilliseconds = (ContinuousClock.now - held).inMilliseconds
        plan.totalMilliseconds = (ContinuousClock.now - started).inMilliseconds
        plan.dryRunChecked = prepared.migrated
        ParallelWork.release(consume oldMemories)
        return plan
    }

    /// The new memory shares its dictionaries with the dry run's result and, for slots that did not change, with
    /// the old memory: while they do, the first turn to write one would copy it whole. The old memory keeps
    /// only what is its own (values of migrated and dropped slots), freed later off the turns' threads.
    static func letGoOfShared(_ prepared: PreparedSwap, _ oldMemories: [String: CellMemory], _ work: SwapWork) {
        prepared.maps.removeAll()
        prepared.scalars.removeAll()
        let own = Set(work.slots.map(\.id)
                      + work.dropped.map { SwapTracker.SlotID(cell: $0.cell, slot: $0.slot) })
        for (cell, memory) in oldMemories {
            for slot in Array(memory.maps.keys) where !own.contains(.init(cell: cell, slot: slot)) { memory.maps[slot] = nil }
            for slot in Array(memory.scalars.keys) where !own.contains(.init(cell: cell, slot: slot)) { memory.scalars[slot] = nil }
            memory.machines = [:]
        }
    }

    /// Every `on start` of the new program, as turns with the gate closed; the first abort, if any.
    func runStartHandlers(_ program: RuntimeProgram) async -> TurnError? {
        var last: UInt64 = 0
        var sends: [PendingSignal] = []
        for name in program.cellOrder where program.cells[name]?.startHandler != nil {
            let outcome = await engine.lanes.lane(name).perform { [self] in
                Result { () throws(TurnError) in try engine.runTurn(cell: name, handler: { $0.startHandler }, arguments: [:], removing: nil) }
            }
            switch outcome {
            case .success(let (_, sequence, produced)):
                last = max(last, sequence)
                sends.append(contentsOf: produced)
            case .failure(let error):
                // What the earlier ones committed must be on disk before an undo puts back what they replaced.
                try? await engine.store.waitUntilDurable(last)
                return error
            }
        }
        do {
            try await engine.store.waitUntilDurable(last)
        } catch {
            return TurnError(.storage, "\(error)")
        }
        for signal in sends { engine.deliver(signal) }
        return nil
    }

    /// Back to the running version after the commit point: the stored state as it was, the old program and the
    /// memory it had (untouched since the gate closed: the new version's turns ran on the new memory).
    func undo(to old: RuntimeProgram, memories oldMemories: [String: CellMemory], version: Int) {
        do {
            try engine.store.undoRewrite(programVersion: version)
            engine.lock.withLock {
                engine.memories = oldMemories
                engine.current = old
                engine.cache.reset(to: oldMemories.values.reduce(0) { $0 + $1.cachedBytes })
            }
        } catch {
            // The store could not be put back: start over from what is durable, as after a crash.
            engine.onStorageFailure("undoing a swap: \(error)")
        }
    }
}

extension TurnEngine {
    /// The swap's plan with the data as it is now; `keepingDryRun` keeps its migrated memory for the swap.
    public func planSwap(_ request: SwapRequest, keepingDryRun: Bool = false) -> SwapPlan {
        swap.planSwap(request, keepingDryRun: keepingDryRun)
    }

    /// Applies a swap (see `SwapCoordinator.applySwap`).
    public func applySwap(_ request: SwapRequest) async throws(SwapRefused) -> SwapPlan {
        try await swap.applySwap(request)
    }

    /// Returns once no stored value is left at an older version.
    public func waitForRestamp() async {
        await swap.restamper.wait()
    }
}
