import Foundation
import SomaChecker
import SomaDiagnostics
import SomaStorage

extension TurnEngine {
    /// Applies a swap: plans it again with the data as it is now, provisions the new version's resources, holds
    /// new turns (they wait at the gate), lets running turns and pending effects finish, migrates the stored
    /// state in one transaction (the commit point), switches program and memory, runs `on start`, and releases
    /// the held turns. Before the commit point a refusal changes nothing; a failed `on start` undoes the swap.
    public func applySwap(_ request: SwapRequest) async throws(SwapRefused) -> SwapPlan {
        let started = ContinuousClock.now
        SwapCheckpoint.applying.reach()
        let work = swapWork(request)
        // Planned again with the data as it is now. The stored state is not dry-run again: the plan the CLI
        // printed did, and the commit point's rewrite is one transaction that a failing value leaves unchanged.
        var plan = planSwap(request, work: work, dryRunState: false)
        if plan.isRefused { throw SwapRefused(plan: plan) }
        let old = program, new = request.program
        do {
            try openBindings(new)
        } catch {
            plan.refusals.append(.init(code: "resource-failed", message: "the new version's resources cannot be provisioned: \(error)"))
            throw SwapRefused(plan: plan)
        }
        stopBackground()
        let held = ContinuousClock.now
        guard await gate.close(waitingUpTo: 30) else {
            startBackground(old)
            plan.refusals.append(.init(code: "turns-running", message: "running turns did not finish within 30 s; nothing was changed"))
            throw SwapRefused(plan: plan)
        }
        func abandon(_ code: String, _ message: String, hint: String? = nil) -> SwapRefused {
            startBackground(old)
            gate.open()
            plan.refusals.append(.init(code: code, message: message, hint: hint))
            return SwapRefused(plan: plan)
        }
        do {
            try await store.waitUntilDurable(store.lastEnqueuedSequence)
        } catch {
            throw abandon("state-commit", "\(error)")
        }
        let (idle, behind) = pump.waitUntilIdle(timeout: 10)
        guard idle else {
            throw abandon("effects-pending", "effects of committed turns have not reached \(behind.joined(separator: ", ")) within 10 s; nothing was changed",
                          hint: "check the resource with 'soma resources list', then swap again")
        }
        let census: StateCensus
        do {
            census = try store.census()
        } catch {
            throw abandon("state-read", "\(error)")
        }
        let queueStats = queueCensus(work)
        let late = refusals(request.analysis, census: census, queueStats: queueStats, program: new) + newerMessages(work, queueStats: queueStats)
        guard late.isEmpty else {
            plan.refusals.append(contentsOf: late.dropLast())
            throw abandon(late.last!.code, late.last!.message + " (data changed since the plan)", hint: late.last!.hint)
        }
        let ephemeral: [String: [String: (map: [Value: Value]?, scalar: Value?)]]
        do {
            ephemeral = try migrateEphemeral(work, request)
        } catch {
            throw abandon(DiagnosticCode.migrationFails.rawValue, "\(error)")
        }
        let oldMemories = lock.withLock { memories }

        // The commit point: from here the app is on the new version, also after a crash.
        do {
            var rewrite = stateRewrite(work, request)
            rewrite.beforeCommit = { SwapCheckpoint.migrating.reach() }
            try store.rewrite(rewrite)
        } catch let failure as RewriteFailure {
            throw abandon(DiagnosticCode.migrationFails.rawValue, "migrating \(failure.cell).\(failure.slot) fails on key \(failure.key): \(failure.reason)")
        } catch {
            throw abandon("state-swap", "\(error)")
        }
        do {
            let fresh = try Self.makeMemories(new, try store.load())
            Self.restore(ephemeral, into: fresh)
            lock.withLock {
                memories = fresh
                current = new
            }
        } catch {
            undo(to: old, memories: oldMemories, version: request.fromVersion)
            throw abandon("state-load", "the migrated state does not load: \(error); the swap was undone")
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
        try? store.finishRewrite()
        dropTableArchives(tables)
        startBackground(new)
        plan.heldTurns = gate.heldCount
        gate.open()
        plan.heldMilliseconds = Self.milliseconds(since: held)
        plan.totalMilliseconds = Self.milliseconds(since: started)
        return plan
    }

    func startBackground(_ program: RuntimeProgram) {
        startTimers(program)
        startConsumers(program)
    }

    /// Every `on start` of the new program, as turns with the gate closed; the first abort, if any.
    func runStartHandlers(_ program: RuntimeProgram) async -> TurnError? {
        var last: UInt64 = 0
        var sends: [PendingSignal] = []
        for name in program.cellOrder where program.cells[name]?.startHandler != nil {
            let outcome = lock.withLock { () -> Result<(Value, UInt64, [PendingSignal]), TurnError> in
                do throws(TurnError) {
                    return .success(try runLocked(cell: name, handler: { $0.startHandler }, arguments: [:], chain: [], removing: nil))
                } catch {
                    return .failure(error)
                }
            }
            switch outcome {
            case .success(let (_, sequence, produced)):
                last = max(last, sequence)
                sends.append(contentsOf: produced)
            case .failure(let error):
                return error
            }
        }
        do {
            try await store.waitUntilDurable(last)
        } catch {
            return TurnError(.storage, "\(error)")
        }
        for signal in sends { deliver(signal) }
        return nil
    }

    /// Back to the running version after the commit point: the stored state as it was, the old program and memory.
    func undo(to old: RuntimeProgram, memories oldMemories: [String: CellMemory], version: Int) {
        do {
            try store.undoRewrite(programVersion: version)
            let restored = try Self.makeMemories(old, try store.load())
            for (cell, memory) in oldMemories {
                guard let model = old.cells[cell]?.model, let target = restored[cell] else { continue }
                for slot in model.slots where !slot.properties.isDurable {
                    target.maps[slot.name] = memory.maps[slot.name]
                    target.scalars[slot.name] = memory.scalars[slot.name]
                }
            }
            lock.withLock {
                memories = restored
                current = old
            }
        } catch {
            // The store could not be put back: start over from what is durable, as after a crash.
            onStorageFailure("undoing a swap: \(error)")
        }
    }

    static func restore(_ ephemeral: [String: [String: (map: [Value: Value]?, scalar: Value?)]], into memories: [String: CellMemory]) {
        for (cell, slots) in ephemeral {
            guard let memory = memories[cell] else { continue }
            for (slot, value) in slots {
                if let map = value.map { memory.maps[slot] = map }
                if let scalar = value.scalar { memory.scalars[slot] = scalar }
            }
        }
    }
}
