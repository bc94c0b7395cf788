import Foundation

/// One process kept alive on a host: started (or adopted when one is found running), health-checked, restarted
/// by its `RestartPolicy` when it dies, and stopped with its stop signal and grace. The decisions are its
/// `StateMachine`'s; this actor carries them out and reports what happened to its owner, in order.
public actor SupervisedProcess {
    public typealias Report = StateMachine.Report

    public nonisolated let spec: Spec
    let host: any ProcessHost
    /// Asked at every start: the worker's command names the version it runs, which a swap changes.
    let command: @Sendable () async throws -> ProcessCommand
    let observer: @Sendable (Report) async -> Void
    var machine: StateMachine
    var endWaiters: [CheckedContinuation<StateMachine.State, Never>] = []
    var healthChecks: Task<Void, Never>?

    public init(spec: Spec, policy: RestartPolicy, host: any ProcessHost, command: @escaping @Sendable () async throws -> ProcessCommand,
                observer: @escaping @Sendable (Report) async -> Void) {
        self.spec = spec
        self.host = host
        self.command = command
        self.observer = observer
        self.machine = StateMachine(spec: spec, policy: policy)
    }

    public var state: StateMachine.State { machine.state }

    /// The pid of the process while it runs (or is being stopped).
    public var pid: pid_t? {
        switch machine.state {
        case .running(let pid, _, _): pid
        case .stopping(let pid): pid
        default: nil
        }
    }

    /// Starts the process, or adopts the one its spec recognises as running, and returns once it is ready
    /// (its readiness probe answers). It is supervised from then on, ready or not: a caller that gives up on
    /// a process that is not ready stops it.
    public func start() async throws(ProcessError) {
        guard case .idle = machine.state else { return }
        await handle(.start(found: adoptable(), at: Self.now()))
        if let health = spec.health {
            healthChecks = Task { await self.checkHealth(health) }
        }
        try await waitUntilReady()
    }

    /// Stops it as its spec says and waits until it has exited.
    public func stop() async {
        await handle(.stop)
        _ = await ended()
    }

    /// Waits until supervision has ended: stopped, or given up.
    public func ended() async -> StateMachine.State {
        if machine.state.hasEnded { return machine.state }
        return await withCheckedContinuation { endWaiters.append($0) }
    }

    func adoptable() -> pid_t? {
        switch spec.adoption {
        case .none:
            return nil
        case .recorded(let pid, let prefix):
            guard let arguments = host.arguments(of: pid), arguments.starts(with: prefix) else { return nil }
            return pid
        case .search(let arguments):
            return host.find(arguments: arguments)
        }
    }

    func handle(_ event: StateMachine.Event) async {
        let actions = machine.handle(event)
        for action in actions {
            await perform(action)
        }
        if machine.state.hasEnded {
            healthChecks?.cancel()
            let waiters = endWaiters
            endWaiters = []
            for waiter in waiters { waiter.resume(returning: machine.state) }
        }
    }

    func perform(_ action: StateMachine.Action) async {
        switch action {
        case .spawn(let restart):
            Task { await self.spawn(restart: restart) }
        case .watch(let pid):
            Task {
                let status = await host.waitForExit(pid)
                await self.handle(.exited(pid, status, at: Self.now()))
            }
        case .signal(let pid, let signal):
            host.signal(pid, signal)
        case .killAfter(let pid, let seconds):
            Task {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                await self.handle(.graceEnded(pid))
            }
        case .backOff(let seconds):
            Task {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                await self.handle(.backoffEnded)
            }
        case .report(let report):
            await observer(report)
        }
    }

    func spawn(restart: Bool) async {
        do {
            if let leftovers = spec.leftovers {
                let killed = await host.endLeftovers(marker: leftovers.marker, account: leftovers.account, grace: spec.stopGrace)
                if !killed.isEmpty { await observer(.leftoversKilled(killed)) }
            }
            let pid = try await host.spawn(try await command())
            await handle(.spawned(pid, at: Self.now()))
        } catch {
            await handle(.spawnFailed("\(error)", at: Self.now()))
        }
    }

    /// Polled every 5 ms; a PostgreSQL server less and less often, since it logs every session it turns away
    /// while it starts.
    func waitUntilReady() async throws(ProcessError) {
        let deadline = Date().addingTimeInterval(spec.readySeconds)
        var pause = 5.0
        while true {
            switch machine.state {
            case .running:
                guard let probe = spec.ready else { return }
                if await host.probe(probe) { return }
            case .gaveUp(let reason):
                throw ProcessError(.ended, process: spec.name, reason: "\(spec.name) keeps exiting: \(reason)")
            case .stopped, .stopping:
                throw ProcessError(.ended, process: spec.name, reason: "\(spec.name) was stopped before it was ready")
            case .idle, .spawning, .backingOff:
                break
            }
            if Date() > deadline {
                throw ProcessError(.notReady, process: spec.name,
                                   reason: "\(spec.name) did not become ready within \(Int(spec.readySeconds)) s (see soma logs)")
            }
            try? await Task.sleep(for: .milliseconds(Int(pause)))
            if case .postgres? = spec.ready { pause = min(pause * 1.5, 50) }
        }
    }

    func checkHealth(_ health: Spec.Health) async {
        while !Task.isCancelled && !machine.state.hasEnded {
            try? await Task.sleep(for: .milliseconds(Int(health.interval * 1000)))
            guard case .running(let pid, _, _) = machine.state, !Task.isCancelled else { continue }
            let answered = await host.probe(health.probe)
            await handle(.probed(pid, answered: answered))
        }
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}
