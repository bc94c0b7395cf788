import Foundation
import SomaChecker
import SomaControl
import SomaLedger
import SomaProtocol
import SomaProviders
import SomaResources
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Resources: the ledger row first (the intent), then the provider acts, then the outcome; the processes
/// that serve resources are supervised like the worker.
extension Supervisor {
    func provider(named name: String) throws -> any ResourceProvider {
        let configured = (try? ledger.app())??.providerPaths ?? []
        return try ProviderRegistry(executable: executable, configuredPaths: configured).provider(named: name)
    }

    func dataPath(of name: String) -> String {
        (home.path as NSString).appendingPathComponent("resources/\(name)")
    }

    func provisionRequest(_ intent: ResourceIntent) -> ProvisionRequest {
        ProvisionRequest(intent.request, dataPath: dataPath(of: intent.name))
    }

    /// The worker's `provision` request: find or make the resource, and answer where it is.
    func provisionFromWorker(_ request: ResourceRequest) async throws(ProtocolFailure) -> ProvisionedResource {
        guard SafeName.isValid(request.name) else {
            throw ProtocolFailure(code: "invalid-name", "'\(request.name)' cannot name a resource")
        }
        var options = request.options
        if let port = request.port, request.kind == .database,
           var databaseOptions = try? ResourceJSON.decode(DatabaseOptions.self, from: options) {
            databaseOptions.port = port
            options = ResourceJSON.document(databaseOptions)
        }
        var asked = request
        asked.options = options
        let intent = ResourceIntent(asked, requestedByVersion: version)
        boundResources.insert(request.name)
        return try await provision(intent).get()
    }

    /// A resource provisioned before, made ready again (its process started) and described as recorded; nil
    /// when there is no ready resource of that name.
    func find(_ name: String) async -> FoundResource? {
        guard let record = try? ledger.resource(name), record.state == "ready" else { return nil }
        boundResources.insert(name)
        guard let resource = try? await provision(record.intent).get() else { return nil }
        return FoundResource(request: record.intent.request, resource: resource)
    }

    /// Idempotent by name: a ready resource is answered at once (its process started if it is not running).
    func provision(_ intent: ResourceIntent) async -> Result<ProvisionedResource, ProtocolFailure> {
        if let running = provisioning[intent.name] { return await running.value }
        let task = Task { await self.provisionNow(intent) }
        provisioning[intent.name] = task
        let reply = await task.value
        provisioning[intent.name] = nil
        return reply
    }

    private func provisionNow(_ intent: ResourceIntent) async -> Result<ProvisionedResource, ProtocolFailure> {
        let record: ResourceRecord
        do {
            record = try ledger.recordIntent(intent)
        } catch {
            return .failure(ProtocolFailure(code: error.code, "\(error)"))
        }
        if record.state == "ready", let endpoint = record.endpoint {
            if record.servedByProcess && resourcePIDs[intent.name] == nil && resourceTasks[intent.name] == nil {
                // Ready in the ledger, not served: make sure of what is on disk, then serve it.
                return await carryOut(record.intent, announce: false)
            }
            return .success(Self.provisioned(record.intent, endpoint: endpoint))
        }
        return await carryOut(record.intent, announce: true)
    }

    static func provisioned(_ intent: ResourceIntent, endpoint: Endpoint) -> ProvisionedResource {
        ProvisionedResource(name: intent.name, kind: intent.kind, engine: intent.engine, endpoint: endpoint)
    }

    /// Has the provider make the resource exist (again: providers are idempotent), records the outcome, and
    /// starts the resource's process.
    func carryOut(_ intent: ResourceIntent, announce: Bool) async -> Result<ProvisionedResource, ProtocolFailure> {
        let request = provisionRequest(intent)
        if announce { logger.info("provisioning \(intent.kind) '\(intent.name)' (\(intent.engine), \(intent.provider))") }
        try? ledger.record("provisioning", "\(intent.name) \(intent.kind) \(intent.element) \(intent.engine)")
        do {
            let provider = try provider(named: intent.provider)
            let result = try await provider.provision(request)
            if let process = result.process {
                try await startResourceProcess(intent.name, process)
            }
            try ledger.resourceReady(intent.name, endpoint: result.endpoint, dataPath: result.dataPath, servedByProcess: result.process != nil)
            try? ledger.record("provisioned", "\(intent.name) at \(result.endpoint)")
            if announce { logger.info("\(intent.kind) '\(intent.name)' is ready at \(result.endpoint)") }
            return .success(Self.provisioned(intent, endpoint: result.endpoint))
        } catch {
            let failure = "provisioning \(intent.kind) '\(intent.name)' failed: \(error)"
            logger.error("\(failure)")
            await stopResourceProcess(intent.name)
            try? ledger.resourceFailed(intent.name, failure: "\(error)")
            try? ledger.record("provision-failed", failure)
            return .failure(ProtocolFailure(code: (error as? ResourceError)?.code ?? "provision-failed", failure))
        }
    }

    /// At start-up: rows left `provisioning` by a crash are carried out again (the provider reuses what
    /// exists, so there is never a second one), and ready resources get their processes back.
    func reconcileResources() async {
        guard let records = try? ledger.resources() else { return }
        for record in records where record.state == "provisioning" || record.state == "ready" {
            if record.state == "provisioning" {
                logger.info("reconciling '\(record.name)', left provisioning")
                try? ledger.record("reconciling", record.name)
            }
            if record.state == "ready" && !record.servedByProcess { continue }
            // A process still running from before the crash is adopted by startResourceProcess.
            _ = await provision(record.intent)
        }
    }

    // MARK: - Resource processes

    /// Starts the process and returns once it accepts connections on its socket (10 s at most, or as the spec
    /// says). A process already running the same command (started by a supervisor killed before it could
    /// record it) is adopted instead: a second one would find the first holding its files and port.
    func startResourceProcess(_ name: String, _ spec: ProcessSpec) async throws {
        if resourceTasks[name] != nil { return }
        if let pid = ProcessTable.running(spec) {
            logger.info("adopting the process of '\(name)' pid=\(pid), found running")
            adoptResourceProcess(name, pid: pid, spec: spec)
            try? ledger.resourceProcess(name, pid: pid)
            try await waitUntilReady(spec)
            return
        }
        var policy = RestartPolicy(maximumRestarts: policy.maximumRestarts, window: policy.window)
        let task = Task {
            var first = true
            while !Task.isCancelled {
                let started = Date()
                let status = await self.runResourceProcess(name, spec, countRestart: !first)
                first = false
                if Task.isCancelled || self.stopping { break }
                let uptime = Date().timeIntervalSince(started)
                switch policy.processDied(at: Date().timeIntervalSince1970, uptime: uptime) {
                case .restart(let delay):
                    self.logger.warning("the process of '\(name)' exited (\(status)); restarting in \(Int(delay * 1000))ms")
                    try? self.ledger.record("resource-restarted", "\(name) \(status)")
                    if delay > 0 { try? await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
                case .giveUp(let reason):
                    self.logger.error("the process of '\(name)' keeps exiting (\(status)): \(reason)")
                    try? self.ledger.resourceFailed(name, failure: "its process keeps exiting (\(status)): \(reason)")
                    return
                }
            }
        }
        resourceTasks[name] = task
        resourceSpecs[name] = spec
        startHealthChecks(name, spec)
        try await waitUntilReady(spec)
    }

    func waitUntilReady(_ spec: ProcessSpec) async throws {
        if let socket = spec.readySocket {
            let seconds = spec.readySeconds ?? 10
            let deadline = Date().addingTimeInterval(seconds)
            // A PostgreSQL server logs every session it turns away while it starts: asked less and less often.
            var pause = 5.0
            while !(await Self.isReady(spec, socket: socket)) {
                if Date() > deadline {
                    throw ResourceError(code: "process-not-ready", "its process did not answer on \(socket) within \(Int(seconds)) s (see soma logs)")
                }
                try await Task.sleep(for: .milliseconds(Int(pause)))
                if spec.healthProtocol == .postgres { pause = min(pause * 1.5, 50) }
            }
        }
    }

    static func isReady(_ spec: ProcessSpec, socket: String) async -> Bool {
        switch spec.healthProtocol ?? .line {
        case .line: return accepts(socket)
        case .postgres:
            guard FileManager.default.fileExists(atPath: socket) else { return false }
            return await PostgresProbe.ask(socketPath: socket, user: spec.healthCheck ?? "postgres") == .ready
        }
    }

    func startHealthChecks(_ name: String, _ spec: ProcessSpec) {
        healthTasks.removeValue(forKey: name)?.cancel()
        guard let socket = spec.readySocket, let check = spec.healthCheck else { return }
        healthTasks[name] = Task { await self.checkHealth(name, socket: socket, check: check, spec: spec) }
    }

    /// Every 2 s, asks the process whether it is well (a line back, or a PostgreSQL session); after 3
    /// unanswered checks in a row (2 s each) it is killed, and its supervision loop starts a new one.
    func checkHealth(_ name: String, socket: String, check: String, spec: ProcessSpec) async {
        let healthProtocol = spec.healthProtocol ?? .line
        var missed = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            guard let pid = resourcePIDs[name], !Task.isCancelled else { continue }
            let answered: Bool
            switch healthProtocol {
            case .line:
                answered = await Task.detached {
                    let client = LineSocket(path: socket, timeoutSeconds: 2, hello: nil, server: .queue)
                    defer { client.close() }
                    return spec.passesLineCheck(try? client.exchange(Data(check.utf8)))
                }.value
            case .postgres:
                // A server that says it is not taking connections yet (recovering) is answering.
                answered = await PostgresProbe.ask(socketPath: socket, user: check) != .silent
            }
            missed = answered ? 0 : missed + 1
            if missed >= 3 {
                logger.warning("the process of '\(name)' pid=\(pid) has not answered 3 health checks; killing it")
                try? ledger.record("resource-unhealthy", "\(name) pid \(pid)")
                kill(pid, SIGKILL)
                missed = 0
            }
        }
    }

    func runResourceProcess(_ name: String, _ spec: ProcessSpec, countRestart: Bool) async -> String {
        let log = open(home.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { if log >= 0 { close(log) } }
        do {
            if let account = spec.runAs, geteuid() == 0, getpwnam(account) == nil {
                return "not started: there is no account '\(account)' to run it as"
            }
            await endLeftovers(of: name, spec)
            let command = spec.command
            // Cancelling this task (stop, release) asks the process to stop the way its spec says, then kills
            // it if it has not exited in time: a PostgreSQL server killed at every stop would recover at
            // every start.
            var options = PlatformOptions()
            options.teardownSequence = [.send(signal: Self.stopSignal(spec), allowedDurationToNextStep: .seconds(Int(Self.stopSeconds)))]
            let result = try await Subprocess.run(
                .path(FilePath(command.executable)), arguments: Arguments(command.arguments),
                platformOptions: options,
                input: .none,
                output: .fileDescriptor(FileDescriptor(rawValue: log), closeAfterSpawningProcess: false),
                error: .fileDescriptor(FileDescriptor(rawValue: log), closeAfterSpawningProcess: false)
            ) { execution in
                self.resourceProcessStarted(name, pid: execution.processIdentifier.value, countRestart: countRestart)
            }
            resourcePIDs[name] = nil
            try? ledger.resourceProcess(name, pid: nil)
            switch result.terminationStatus {
            case .exited(let code): return "exit code \(code)"
            case .signaled(let signal): return "signal \(signal)"
            }
        } catch {
            resourcePIDs[name] = nil
            return "not started: \(error)"
        }
    }

    func resourceProcessStarted(_ name: String, pid: pid_t, countRestart: Bool) {
        resourcePIDs[name] = pid
        try? ledger.resourceProcess(name, pid: pid, countRestart: countRestart)
    }

    /// Watches an adopted process; when it exits, the resource is provisioned again, which starts a new one.
    func adoptResourceProcess(_ name: String, pid: pid_t, spec: ProcessSpec) {
        resourcePIDs[name] = pid
        resourceSpecs[name] = spec
        startHealthChecks(name, spec)
        resourceTasks[name] = Task {
            while kill(pid, 0) == 0 && !ProcessTable.isZombie(pid) && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
            }
            if !Task.isCancelled { await self.adoptedResourceExited(name) }
        }
    }

    func adoptedResourceExited(_ name: String) async {
        resourcePIDs[name] = nil
        resourceTasks[name] = nil
        guard !stopping, let record = try? ledger.resource(name), record.state == "ready" else { return }
        logger.warning("the adopted process of '\(name)' exited; starting a new one")
        try? ledger.resourceProcess(name, pid: nil, countRestart: false)
        _ = await carryOut(record.intent, announce: false)
        try? ledger.resourceProcess(name, pid: resourcePIDs[name], countRestart: true)
    }

    /// Asks the process to stop cleanly and waits for it to exit (killed after `stopSeconds`).
    func stopResourceProcess(_ name: String) async {
        healthTasks.removeValue(forKey: name)?.cancel()
        let spec = resourceSpecs.removeValue(forKey: name)
        if let task = resourceTasks.removeValue(forKey: name) {
            // A process this supervisor started goes through its teardown when its task is cancelled, and
            // its pid is forgotten once it is reaped.
            task.cancel()
            await task.value
        }
        // An adopted process (started by an earlier supervisor) is no child of this one: signalled by hand.
        if let pid = resourcePIDs.removeValue(forKey: name) {
            kill(pid, spec.map(Self.stopSignal)?.rawValue ?? SIGTERM)
            await ProcessTable.kill(await ProcessTable.waitForExit([pid], seconds: Self.stopSeconds))
        }
        try? ledger.resourceProcess(name, pid: nil)
    }

    func stopResourceProcesses() async {
        for name in Set(resourceTasks.keys).union(resourcePIDs.keys).union(healthTasks.keys) {
            await stopResourceProcess(name)
        }
    }

    /// `soma resources release NAME [--purge]` while the app runs: refused for a resource the program binds.
    func release(_ name: String, purge: Bool) async throws(ProtocolFailure) -> Done {
        guard let record = try? ledger.resource(name) else {
            throw ProtocolFailure(code: "unknown-resource", "no resource named '\(name)'")
        }
        if boundResources.contains(name) {
            throw ProtocolFailure(code: "resource-bound",
                                  "resource '\(name)' is bound by the running program (version \(version)): remove its binding and swap, or stop the app first")
        }
        await stopResourceProcess(name)
        do {
            try await ResourceRelease.release(record, home: home, provider: try provider(named: record.intent.provider),
                                              request: provisionRequest(record.intent), purge: purge, ledger: ledger)
            return Done("released \(name)")
        } catch {
            throw ProtocolFailure(code: "release-failed", "\(error)")
        }
    }

    /// Waits until the processes an earlier run started and that outlived it have ended, killing them after
    /// `stopSeconds`: PostgreSQL's backends outlive a server that was killed, holding its shared memory, and a
    /// new server started meanwhile refuses to start (which would spend the restart intensity in a second).
    func endLeftovers(of name: String, _ spec: ProcessSpec) async {
        guard let marker = spec.descendantsMarker, !marker.isEmpty else { return }
        // Only the account's own processes: a provider's marker never reaches anyone else's.
        let owner = spec.runAs.flatMap { geteuid() == 0 ? getpwnam($0)?.pointee.pw_uid : nil } ?? geteuid()
        let leftovers = ProcessTable.processes { words in words.joined(separator: " ").contains(marker) }.filter { pid in
            ((try? FileManager.default.attributesOfItem(atPath: "/proc/\(pid)"))?[.ownerAccountID] as? NSNumber)?.uint32Value == owner
        }
        let running = await ProcessTable.waitForExit(leftovers, seconds: Self.stopSeconds)
        guard !running.isEmpty else { return }
        logger.warning("processes an earlier server of '\(name)' started are still running (pid \(running.map(String.init).joined(separator: ", "))); killing them")
        await ProcessTable.kill(running)
    }

    /// How long a resource's process has to stop after its stop signal before it is killed.
    static let stopSeconds = 10.0

    static func stopSignal(_ spec: ProcessSpec) -> Subprocess.Signal {
        spec.stopSignal == "INT" ? .interrupt : .terminate
    }

    static func accepts(_ socket: String) -> Bool {
        let client = LineSocket(path: socket, timeoutSeconds: 1, hello: nil, server: .queue)
        defer { client.close() }
        return (try? client.connect()) != nil
    }
}
