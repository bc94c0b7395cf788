import Foundation
import SomaChecker
import SomaProtocol
import SomaStorage
import SomaSyntax

/// Told about every finished turn, for metrics and status.
public protocol TurnObserver: Sendable {
    func turnFinished(cell: String, trigger: String, seconds: Double, error: TurnError?)
}

/// Runs turns: one at a time per cell, each on its cell's lane, so that turns of different cells run at the
/// same time and a turn waiting on a resource holds up only its own cell (docs/turns.md). Each turn's writes are
/// applied to its cell's memory when it commits, then made durable by the store's group commit; the caller
/// hears the result only after that. The program can be replaced between turns.
// Unchecked: the program, the map of memories, the ids, the consumers and the swap in preparation are read and
// written under `lock`. A cell's memory is read by its lane's turns without it, and written only by their
// commits (under `lock`) or while every turn is held.
public final class TurnEngine: @unchecked Sendable {
    /// The running program; read and replaced under `lock`, so a swap lands between turns.
    var current: RuntimeProgram
    let store: StateStore
    /// What every cell's memory may cache together.
    public let cache: CacheBudget
    public let invariantCounts = InvariantCounts()
    let observer: (any TurnObserver)?
    /// Called once when a commit fails: memory is then ahead of the disk, and the process must start over
    /// from what is durable (the worker exits; its supervisor restarts it).
    let onStorageFailure: @Sendable (String) -> Void
    /// The most steps a turn runs on its caller's thread before it goes to its lane: tens of µs. Longer, the turn
    /// would hold a thread that serves requests; shorter than the hop to the lane and back costs.
    static let inlineSteps = 200
    /// Held only to read the program and a cell's memory as a turn starts, and for commits: never while a
    /// handler runs or waits on a resource.
    let lock = NSLock()
    /// Where each cell's turns run, one at a time per cell.
    let lanes = CellLanes()
    var memories: [String: CellMemory] = [:]
    var sendIDs: Int64 = 0
    private var pendingAtStart: [PendingSignal] = []
    private var effectsAtStart: [StoredState.PendingEffect] = []
    var effectIDs: Int64 = 0
    /// Makes every pushed message's id unique to this worker's life: effect numbers start again after a restart.
    let messagePrefix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    let resources: ResourceSet
    let pump: EffectPump
    /// The timers and queue consumers that run turns of their own accord.
    let background = Background()
    let log: @Sendable (String) -> Void
    /// Turns wait here while a swap holds them.
    let gate = TurnGate()
    /// Hot swaps, and what lives from one to the next. Set once, at the end of `init`: it needs the engine.
    private(set) var swap: SwapCoordinator!
    /// Gives stored Map rows from before format step 8 their order key. Set once, at the end of `init`.
    private(set) var orderBackfill: OrderBackfill!
    /// Slots found at an older version when the worker started (a swap's rewrite was cut short).
    var staleAtStart: [StateRewrite.LazySlot] = []

    public init(program: RuntimeProgram, store: StateStore, broker: any ResourceBroker = NoResources(), observer: (any TurnObserver)? = nil,
                cacheBytes: Int = CacheBudget.defaultBytes,
                log: @escaping @Sendable (String) -> Void = { _ in },
                onStorageFailure: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.current = program
        self.store = store
        self.cache = CacheBudget(limit: cacheBytes)
        self.observer = observer
        self.onStorageFailure = onStorageFailure
        self.log = log
        self.resources = ResourceSet(broker: broker)
        self.pump = EffectPump(store: store, resources: resources, log: log)
        try load(try store.load())
        swap = SwapCoordinator(engine: self)
        orderBackfill = OrderBackfill(engine: self)
        store.observeDiskFull { [weak self] full in self?.diskFullChanged(full) }
    }

    // MARK: - Loading

    /// The program turns run now.
    public var program: RuntimeProgram { lock.withLock { current } }

    /// Finds the handler a turn runs, in the program current when the turn starts.
    typealias HandlerLookup = @Sendable (RuntimeProgram.CellProgram) -> HandlerDeclaration?

    private func load(_ stored: StoredState) throws {
        let program = current
        (memories, staleAtStart) = try CellMemory.loaded(program, stored, store: store, budget: cache, report: log)
        // What another build of the program kept is not kept up to date by this one, and must not outlive it.
        let kept = program.cells.mapValues { Set($0.keptAggregates.filter(\.durable).map(\.name)) }
        if stored.aggregates.contains(where: { cell, names in !names.keys.allSatisfy { kept[cell]?.contains($0) ?? false } }) {
            try store.retainAggregates(kept)
        }
        for send in stored.sends {
            sendIDs = max(sendIDs, send.id)
            guard let signal = program.cells[send.cell]?.model.signal(send.signal),
                  case .object(let object)? = try? JSONValue.parse(send.arguments) else { continue }
            var arguments: [String: Value] = [:]
            for parameter in signal.parameters {
                if let json = object[parameter.name], let value = try? program.codec.decode(json, as: parameter.type) {
                    arguments[parameter.name] = value
                }
            }
            pendingAtStart.append(PendingSignal(id: send.id, cell: send.cell, signal: send.signal, arguments: arguments))
        }
        effectsAtStart = stored.effects
        effectIDs = stored.effects.map(\.id).max() ?? 0
    }

    // MARK: - Life cycle

    /// Opens (provisioning when needed) every resource the cells bind, resumes the effects left from before a
    /// restart, runs every `on start`, delivers sends left from before a restart, starts the `every` timers and
    /// the queue consumers. Throws when a resource cannot be provisioned or an `on start` aborts: the program
    /// cannot come up.
    public func start() async throws {
        let program = self.program
        try openBindings(program)
        // A swap whose state commit point passed before its tables were rebuilt is finished here.
        let tables = swap.tables.migrations(program, affected: [])
        if !tables.isEmpty {
            do {
                try swap.tables.migrate(tables)
                swap.tables.dropArchives(tables)
            } catch {
                throw TurnError(.resource, "the tables of this version cannot be brought up to date: \(error)")
            }
        }
        swap.tables.dropLeftoverArchives(program)
        resumeEffects(program)
        pump.start()
        for name in program.cellOrder where program.cells[name]?.startHandler != nil {
            _ = try await run(cell: name, trigger: "start", handler: { $0.startHandler }, arguments: [:], removing: nil)
        }
        let leftover = lock.withLock {
            defer { pendingAtStart = [] }
            return pendingAtStart
        }
        for signal in leftover { deliver(signal) }
        startBackground(program)
        swap.restamper.start(lock.withLock { staleAtStart })
        orderBackfill.start()
    }

    /// Returns once every stored Map row has its order key (the backfill that `start` began is done).
    public func orderKeysFilled() async {
        await orderBackfill.wait()
    }

    public func stop() {
        stopBackground()
        swap.restamper.stop()
        orderBackfill.stop()
        pump.stop()
    }

    /// Once no turn runs any more: closes the connections to the program's resources.
    public func closeResources() {
        resources.close()
    }

    // MARK: - Turns

    /// Runs the handler of a face signal as a turn and returns its result once it is durable.
    public func invoke(cell: String, signal: String, arguments: [String: Value]) async throws(TurnError) -> Value {
        try await run(cell: cell, trigger: signal, handler: { $0.handlers[signal] }, arguments: arguments, removing: nil)
    }

    /// Runs `body` with the program current when this call passes the gate: a face call decodes its arguments,
    /// runs its turn and encodes its result with one program, even if a swap is waiting.
    public func admit<T: Sendable>(_ body: (RuntimeProgram) async -> T) async -> T {
        if TurnGate.admitted { return await body(program) }
        await gate.enter()
        defer { gate.leave() }
        return await TurnGate.$admitted.withValue(true) { await body(program) }
    }

    func run(cell: String, trigger: String, handler: @escaping HandlerLookup, arguments: [String: Value], removing sendID: Int64?) async throws(TurnError) -> Value {
        if !TurnGate.admitted { await gate.enter() }
        defer { if !TurnGate.admitted { gate.leave() } }
        let started = ContinuousClock.now
        let lane = lanes.lane(cell)
        // A turn that touches only memory runs at once on this thread when its lane is idle, as it did before
        // lanes: the hop to the lane's thread and back costs more than such a turn (docs/turns.md).
        var ran: Result<(Value, UInt64, [PendingSignal]), TurnError>?
        switch lane.runIfIdle(trigger: trigger, short: true, { [self] in runTurnInline(cell: cell, handler: handler, arguments: arguments, removing: sendID) }) {
        case .some(.ran(let outcome)): ran = outcome
        case .some(.needsLane(let always)): if always { lane.needsLane(trigger) }
        case .none: break
        }
        let outcome: Result<(Value, UInt64, [PendingSignal]), TurnError>
        if let ran {
            outcome = ran
        } else {
            outcome = await lane.perform { [self] in
                Result { () throws(TurnError) in try runTurn(cell: cell, handler: handler, arguments: arguments, removing: sendID) }
            }
        }
        var (result, sequence, sends, failure): (Value, UInt64, [PendingSignal], TurnError?)
        switch outcome {
        case .success(let (value, committed, produced)):
            (result, sequence, sends, failure) = (value, committed, produced, nil)
        case .failure(let error):
            // A delivered signal whose turn aborted is consumed all the same: it would abort again.
            let consumed = sendID.map { id in lock.withLock { store.enqueue(WriteBatch(changes: [.removeSend(id: id)]), touchesMemory: false) } }
            (result, sequence, sends, failure) = (.unit, consumed ?? store.visibleSequence, [], error)
        }
        do {
            try await store.waitUntilDurable(sequence)
        } catch {
            failure = storageFailure(error)
        }
        observe(cell: cell, trigger: trigger, since: started, error: failure)
        if let failure { throw failure }
        for signal in sends { deliver(signal) }
        return result
    }

    func observe(cell: String, trigger: String, since started: ContinuousClock.Instant, error: TurnError?) {
        observer?.turnFinished(cell: cell, trigger: trigger, seconds: (ContinuousClock.now - started).inSeconds, error: error)
    }

    /// Runs one turn on its cell's lane: the handler, then the invariants, with no lock held (other cells'
    /// turns run meanwhile), then, under the short commit lock, the commit to memory and the store's queue.
    /// Returns the result, the batch's sequence number and the sends to deliver once durable.
    func runTurn(cell name: String, handler lookup: HandlerLookup, arguments: [String: Value],
                 removing sendID: Int64?, consumed: (queue: String, messageID: String)? = nil) throws(TurnError) -> (Value, UInt64, [PendingSignal]) {
        guard case .committed(let committed) = try execute(cell: name, handler: lookup, arguments: arguments, removing: sendID, consumed: consumed, inline: false) else {
            throw TurnError(.runtime, "a turn on its lane was sent back to its lane")
        }
        return committed
    }

    /// How a turn on its caller's thread ended.
    enum InlineTurn {
        case ran(Result<(Value, UInt64, [PendingSignal]), TurnError>)
        /// Nothing has happened: the turn runs again on its lane; `always` for every later turn of its handler too.
        case needsLane(always: Bool)
    }

    private enum Executed {
        case committed((Value, UInt64, [PendingSignal]))
        case needsLane(always: Bool)
    }

    /// Runs one turn on the calling thread, as on its lane, unless it reaches a call or a resource that can wait:
    /// then nothing has happened yet, and it runs on the lane. Only for a lane that is idle.
    func runTurnInline(cell name: String, handler lookup: HandlerLookup, arguments: [String: Value],
                       removing sendID: Int64?) -> InlineTurn {
        do throws(TurnError) {
            switch try execute(cell: name, handler: lookup, arguments: arguments, removing: sendID, consumed: nil, inline: true) {
            case .committed(let committed): return .ran(.success(committed))
            case .needsLane(let always): return .needsLane(always: always)
            }
        } catch {
            return .ran(.failure(error))
        }
    }

    private func execute(cell name: String, handler lookup: HandlerLookup, arguments: [String: Value], removing sendID: Int64?,
                         consumed: (queue: String, messageID: String)?, inline: Bool) throws(TurnError) -> Executed {
        let (program, found) = lock.withLock { (current, memories[name]) }
        guard let cell = program.cells[name], let memory = found else {
            throw TurnError(.runtime, "unknown cell '\(name)'")
        }
        guard let handler = lookup(cell) else {
            throw TurnError(.runtime, "cell '\(name)' has no handler for this turn")
        }
        let cachedBefore = cache.bytes
        let turn = TurnState(cell: cell, memory: memory, program: program, context: self, runsInline: inline)
        let evaluator = Evaluator(program: program, turn: turn)
        if inline, evaluator.budget > Self.inlineSteps {
            // A long turn would hold its caller's thread, one of the few that serve every request.
            evaluator.budget = Self.inlineSteps
            evaluator.budgetSendsToLane = true
        }
        for parameter in handler.parameters {
            evaluator.scopes[0].declare(parameter.name, arguments[parameter.name] ?? .unit)
        }
        let value: Value
        var held: [String] = []
        do {
            do {
                value = try evaluator.runStatements(handler.body)
            } catch let signal as ReturnSignal {
                value = signal.value
            }
            held = try Self.checkInvariants(of: cell, turn: turn, with: evaluator)
        } catch let lane as LaneRequired {
            return .needsLane(always: lane.always)
        } catch let error as TurnError {
            throw error
        } catch {
            throw TurnError(.runtime, "\(error)")
        }
        turn.consumed = consumed
        let committed = try lock.withLock { () -> Result<(Value, UInt64, [PendingSignal]), TurnError> in
            // Memory went back to what is durable while this turn ran (a commit failed for want of space).
            guard memories[name] === memory else { return .failure(TurnError(.diskFull, Self.diskFullMessage)) }
            if store.refusesWrites, sendID != nil || turn.writesDurably {
                return .failure(TurnError(.diskFull, Self.diskFullMessage))
            }
            if let refusal = ephemeralRefusal(of: turn) { return .failure(refusal) }
            var (batch, sends, effects) = turn.commit(sendIDs: &sendIDs, effectIDs: &effectIDs, messagePrefix: messagePrefix, tracker: swap.memory.tracker)
            if let sendID { batch.changes.append(.removeSend(id: sendID)) }
            let sequence = batch.isEmpty ? store.visibleSequence : store.enqueue(batch)
            memory.pin(turn.durableKeys, until: sequence)
            memory.heldInvariants.formUnion(held)
            pump.submit(sequence: sequence, effects: effects)
            return .success((value, sequence, sends))
        }.get()
        invariantCounts.note(evaluated: held.count, skipped: cell.invariants.count - held.count)
        // Past the budget: this cell lets go of what it read, and wrote, that the store now holds.
        if cache.excess > 0 {
            memory.trim(durable: store.durableSequence, atMost: CellMemory.trimmedPerTurn + max(0, cache.bytes - cachedBefore))
        }
        return .committed(committed)
    }

    /// The cell's invariants over the turn's view of its memory; the first that does not hold aborts. One that
    /// held at the last commit and reads nothing the turn wrote still holds, and is not evaluated (docs/state.md,
    /// "Invariants"); `all` evaluates every one. Then the kept sums and counts over what the turn wrote are
    /// brought up to date for its commit. Returns the invariants evaluated, which hold once the turn commits.
    static func checkInvariants(of cell: RuntimeProgram.CellProgram, turn: TurnState, with evaluator: Evaluator, all: Bool = false) throws -> [String] {
        var evaluated: [String] = []
        if !cell.aggregates.isEmpty { evaluator.aggregateSites = cell.aggregates }
        defer { evaluator.aggregateSites = nil }
        for invariant in cell.invariants {
            if !all, turn.memory.heldInvariants.contains(invariant.name), !turn.touches(invariant) { continue }
            let condition = invariant.declaration.condition
            guard case .bool(true) = try evaluator.evaluate(condition) else {
                throw TurnError(.invariant, "invariant '\(invariant.name)' does not hold", at: evaluator.location(invariant.declaration.span))
            }
            evaluated.append(invariant.name)
        }
        if !cell.keptAggregates.isEmpty { try turn.settleAggregates(evaluator: evaluator) }
        return evaluated
    }

    /// `call Cell.signal(...)` from inside a turn of `caller`: the callee's turn runs on its own lane while the
    /// caller's waits, and commits on its own, even if the caller then aborts. Its sends are delivered once its
    /// own batch is durable.
    func call(from caller: String, cell: String, signal: String, arguments: [String: Value], location: String?) throws(TurnError) -> Value {
        let outcome = try lanes.call(from: caller, to: cell, location: location) { [self] in
            Result { () throws(TurnError) in try runTurn(cell: cell, handler: { $0.handlers[signal] }, arguments: arguments, removing: nil) }
        }
        let (value, sequence, sends) = try outcome.get()
        if !sends.isEmpty {
            Task {
                guard (try? await store.waitUntilDurable(sequence)) != nil else { return }
                for pending in sends { deliver(pending) }
            }
        }
        return value
    }

    /// A send's turn that meets a full disk runs again once writing resumes: the send stays stored meanwhile.
    func deliver(_ signal: PendingSignal) {
        Task {
            while true {
                do {
                    _ = try await self.run(cell: signal.cell, trigger: signal.signal, handler: { $0.handlers[signal.signal] },
                                           arguments: signal.arguments, removing: signal.id)
                    return
                } catch let error as TurnError where error.kind == .diskFull {
                    await waitUntilWritable()
                } catch {
                    return
                }
            }
        }
    }

    func takeEffectsAtStart() -> [StoredState.PendingEffect] {
        lock.withLock {
            defer { effectsAtStart = [] }
            return effectsAtStart
        }
    }

    /// Replaces the program between turns (hot swap); running turns finish on the old one.
    public func replaceProgram(_ newProgram: RuntimeProgram) {
        lock.withLock { current = newProgram }
    }
}
