import Foundation
import SomaChecker
import SomaDiagnostics
import SomaProtocol
import SomaStorage

extension SwapCoordinator {
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
        let work = swapWork(request)
        var plan = planSwap(request, work: work)
        if plan.isRefused {
            dropPrepared()
            throw SwapRefused(plan: plan)
        }
        let prepared: PreparedSwap
        if let kept = takePrepared(for: request) {
            prepared = kept
        } else {
            let dryRun = await ParallelWork.onOwnThread { [self] () -> Result<PreparedSwap, SlotMigrationFailure> in
                do throws(SlotMigrationFailure) { return .success(try prepareSwap(work, request)) } catch { return .failure(error) }
            }
            switch dryRun {
            case .success(let fresh): prepared = fresh
            case .failure(let failure):
                dropPrepared()
                plan.refusals.append(Self.refusal(failure))
                throw SwapRefused(plan: plan)
            }
        }
        let old = engine.program, new = request.program
        do {
            try engine.openBindings(new)
        } catch {
            dropPrepared()
            plan.refusals.append(.init(code: "resource-failed", message: "the new version's engine.resources cannot be provisioned: \(error)"))
            throw SwapRefused(plan: plan)
        }
        engine.stopBackground()
        let held = ContinuousClock.now
        guard await engine.gate.close(waitingUpTo: 30) else {
            dropPrepared()
            engine.startBackground(old)
            plan.refusals.append(.init(code: "turns-running", message: "running turns did not finish within 30 s; nothing was changed"))
            throw SwapRefused(plan: plan)
        }
        func abandon(_ code: String, _ message: String, hint: String? = nil) -> SwapRefused {
            dropPrepared()
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
                          hint: "check the resource with 'soma engine.resources list', then swap again")
        }
        let census: StateCensus
        do {
            census = try conditionCensus(request.analysis)
        } catch {
            throw abandon("state-read", "\(error)")
        }
        let queueStats = queueCensus(work)
        let late = refusals(request.analysis, census: census, queueStats: queueStats, program: new) + newerMessages(work, queueStats: queueStats)
        guard late.isEmpty else {
            plan.refusals.append(contentsOf: late.dropLast())
            throw abandon(late.last!.code, late.last!.message + " (data changed since the plan)", hint: late.last!.hint)
        }
        let oldMemories: [String: CellMemory], fresh: [String: CellMemory]
        do {
            (oldMemories, fresh) = try switchMemory(prepared, work, request)
        } catch {
            let refusal = Self.refusal(error)
            throw abandon(refusal.code, refusal.message, hint: refusal.hint)
        }

        // The commit point: from here the app is on the new version, also after a crash.
        let rewrite: StateRewrite
        do {
            var planned = stateRewrite(work, request, memories: fresh)
            planned.beforeCommit = { SwapCheckpoint.migrating.reach() }
            try engine.store.rewrite(planned)
            rewrite = planned
        } catch {
            throw abandon("state-swap", "\(error)")
        }
        engine.lock.withLock {
            engine.memories = fresh
            engine.current = new
        }
        let tables = tableMigrations(new, previous: old, affected: work.affected)
        do {
            try migrateTables(tables)
        } catch {
            restoreTables(tables)
            undo(to: old, memories: oldMemories, version: request.fromVersion)
            throw abandon("migration-fails", "migrating the tables failed: \(error); the swap was undone")
        }
        SwapCheckpoint.switched.reach()
        if let failure = await runStartHandlers(new) {
            restoreTables(tables)
            undo(to: old, memories: oldMemories, version: request.fromVersion)
            throw abandon("start-failed", "the new version's on start aborted: \(failure); the swap was undone",
                          hint: "fix 'on start' and swap again")
        }
        SwapCheckpoint.started.reach()
        try? engine.store.finishRewrite()
        dropTableArchives(tables)
        Self.letGoOfShared(prepared, oldMemories, work)
        startRestamp(rewrite.lazySlots, afterSwap: true)
        engine.startBackground(new)
        plan.heldTurns = engine.gate.heldCount
        engine.gate.open()
        plan.heldMilliseconds = Self.milliseconds(since: held)
        plan.totalMilliseconds = Self.milliseconds(since: started)
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
        let own = Set(work.slots.map { SwapTracker.SlotID(cell: $0.cell, slot: $0.slot) }
                      + work.dropped.map { SwapTracker.SlotID(cell: $0.cell, slot: $0.slot) })
        for (cell, memory) in oldMemories {
            for slot in Array(memory.maps.keys) where !own.contains(.init(cell: cell, slot: slot)) { memory.maps[slot] = nil }
            for slot in Array(memory.scalars.keys) where !own.contains(.init(cell: cell, slot: slot)) { memory.scalars[slot] = nil }
            memory.machines = [:]
        }
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
            }
        } catch {
            // The store could not be put back: start over from what is durable, as after a crash.
            engine.onStorageFailure("undoing a swap: \(error)")
        }
    }
}
