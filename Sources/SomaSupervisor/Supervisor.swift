import Foundation
import Logging
import SomaControl
import SomaLedger
import SomaProtocol
import SomaProviders
import SomaStorage
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The supervisor daemon of one app: owns the ledger and the control socket, starts the worker and restarts
/// it when it dies (backoff, then `failed` past the restart intensity), and stops it on `soma stop`.
/// It runs no user code. While it lives it holds the home's supervisor lock; a worker that finds the lock
/// free starts a new supervisor, which adopts the running worker.
public actor Supervisor {
    public struct Options: Sendable {
        public var policy = RestartPolicy()
        public var host = "127.0.0.1"
        public init() {}
    }

    let home: AppHome
    let ledger: Ledger
    let options: Options
    let logger: Logger
    let executable: String
    var policy: RestartPolicy
    var workerPID: pid_t?
    var workerStartedAt = Date()
    /// The app's phase as the supervisor drives it.
    var state = Phase.starting
    var failure: String?
    var stopping = false
    var restarts = 0
    let startedAt = Date()
    var version = 0
    var port = 0
    /// The TCP control listener, once it listens (soma.toml `[control] listen`).
    var controlListener: ControlListener?
    /// The running version's entry file (materialized under code/vN) and the previous version's, which the
    /// worker checks against to know the shapes of older stored values.
    var entry = ""
    var againstEntry: String?
    /// A swap in progress: a second one is refused (the CLI's ledger lock refuses it first).
    var swapping = false
    /// Resource processes by resource name: the task that keeps each alive, and its pid while it runs.
    var resourceTasks: [String: Task<Void, Never>] = [:]
    var resourcePIDs: [String: pid_t] = [:]
    var healthTasks: [String: Task<Void, Never>] = [:]
    /// How each running resource process was started: its health check and how it stops.
    var resourceSpecs: [String: ProcessSpec] = [:]
    /// Provisioning in flight by name: a second request for the same name waits for the first.
    var provisioning: [String: Task<Result<ProvisionedResource, ProtocolFailure>, Never>] = [:]
    /// The resources the running worker asked for: releasing one of them is refused.
    var boundResources: Set<String> = []

    init(home: AppHome, ledger: Ledger, options: Options, logger: Logger) {
        self.home = home
        self.ledger = ledger
        self.options = options
        self.logger = logger
        self.policy = options.policy
        self.executable = DetachedProcess.currentExecutable
    }

    /// Runs the supervisor of the app at `home` until it is stopped or gives up. Returns the exit code.
    public static func run(home: AppHome, options: Options = Options(), logger: Logger) async -> Int32 {
        guard let lock = FileLock.acquire(path: home.supervisorLock) else {
            logger.info("a supervisor is already running for \(home.name)")
            return 0
        }
        let ledger: Ledger
        do {
            ledger = try Ledger(path: home.ledgerPath)
        } catch {
            logger.error("\(error)")
            return 1
        }
        let supervisor = Supervisor(home: home, ledger: ledger, options: options, logger: logger)
        let code = await supervisor.supervise()
        withExtendedLifetime(lock) {}
        return code
    }

    func supervise() async -> Int32 {
        do {
            guard let app = try ledger.app(), app.currentVersion != nil else {
                logger.error("the app home \(home.path) has no version to run")
                return 1
            }
            port = app.port ?? 0
            if let maximum = app.maxRestarts { policy.maximumRestarts = maximum }
            if let window = app.restartWindow { policy.window = window }
            try selectVersion()
            try ledger.processStarted("supervisor", pid: getpid(), countRestart: false)
            try ledger.setState("running")
            try ledger.record("supervisor-started", "pid \(getpid())")
        } catch {
            logger.error("\(error)")
            return 1
        }
        logger.info("supervising \(home.name) version \(version) pid=\(getpid())")

        // The worker asks this socket for its resources as it starts: it is bound before anything is started.
        let (bound, boundSignal) = AsyncStream<Void>.makeStream()
        let control = Task { [home, logger] in
            do {
                let server = SupervisorServer(path: home.controlSocket, protocol: .control, role: .supervisor)
                try await server.run(ready: { _ in boundSignal.yield() }, refused: { why in logger.warning("\(why)") }) { request, responder in
                    await self.handle(request, responder)
                }
            } catch {
                logger.error("cannot serve the control socket \(home.controlSocket): \(error)")
            }
            boundSignal.finish()
        }
        var binding = bound.makeAsyncIterator()
        guard await binding.next() != nil else {
            try? ledger.processStopped("supervisor")
            try? ledger.setState("failed", failure: "the supervisor could not serve its control socket (see soma logs)")
            return 1
        }
        let remoteControl = serveControlOnTCP()
        let signals = installSignalHandlers()
        await reconcileResources()

        if let adopted = adoptableWorker() {
            logger.info("adopting the running worker pid=\(adopted)")
            // The counters are the app's, not this supervisor's: they carry on from the ledger.
            if let record = try? ledger.processes().first(where: { $0.role == "worker" }) {
                restarts = record.restarts
                if let started = record.startedAt.flatMap({ try? Date($0, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }) {
                    workerStartedAt = started
                }
            }
            await watchAdopted(adopted)
        } else {
            try? ledger.resetProcessRestarts("worker")
        }
        while !stopping {
            let started = Date()
            let (status, exitCode) = await runWorker(entry: entry)
            guard !stopping else { break }
            if exitCode == WorkerExit.versionMismatch {
                // The state is at another version than the ledger said (a swap's commit point passed unrecorded).
                do {
                    try selectVersion()
                    continue
                } catch {
                    logger.error("cannot select the version to run: \(error)")
                }
            }
            if exitCode == WorkerExit.resourcesUnavailable {
                // The worker could not get its resources: say which and why, and stop restarting.
                let failed = (try? ledger.resources())?.first { $0.state == "failed" }
                state = .failed
                failure = failed.map { "provisioning \($0.intent.kind) '\($0.name)' failed: \($0.failure ?? "unknown cause")" }
                    ?? "the program's resources could not be provisioned (see soma logs)"
                logger.error("\(failure!)")
                try? ledger.record("failed", failure!)
                stopping = true
                break
            }
            let uptime = Date().timeIntervalSince(started)
            let cause = Self.takeWorkerFailure(home)
            switch policy.processDied(at: Date().timeIntervalSince1970, uptime: uptime) {
            case .restart(let delay):
                restarts += 1
                state = .restarting
                logger.warning("the worker exited (\(status)) after \(String(format: "%.1f", uptime))s; restarting in \(Int(delay * 1000))ms")
                try? ledger.record("restarted", "worker \(status)")
                if delay > 0 { try? await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
            case .giveUp(let reason):
                state = .failed
                failure = cause.map { "the worker keeps exiting: \($0) (\(status); \(reason))" } ?? "the worker keeps exiting (\(status)): \(reason)"
                logger.error("giving up: \(failure!)")
                try? ledger.record("failed", failure!)
                stopping = true
            }
        }
        await stopResourceProcesses()
        for source in signals { source.cancel() }
        try? ledger.processStopped("worker")
        try? ledger.processStopped("supervisor")
        try? ledger.setState(state == .failed ? "failed" : "stopped", failure: failure)
        if state != .failed { try? ledger.record("stopped", "") }
        // The control server is not cancelled: it ends with the process. Cancelling it raced with a client
        // connecting at that moment (`soma launch` asking how provisioning went), whose half-accepted
        // connection NIO then dropped unfinished, an assertion that killed the supervisor before it answered.
        // Unlinking the socket stops new connections from reaching it.
        unlink(home.controlSocket)
        withExtendedLifetime(control) {}
        withExtendedLifetime(remoteControl) {}
        logger.info("supervisor exiting")
        return state == .failed ? 1 : 0
    }

    /// The version to run: the one the stored state is at when the ledger knows it (a swap whose commit point
    /// passed before the supervisor recorded it is finished here), else the ledger's current version.
    func selectVersion() throws {
        guard let app = try ledger.app(), var current = app.currentVersion else { throw LedgerError(code: "no-version", "the app has no version") }
        if let stored = StateStore.recordedProgramVersion(at: home.statePath), stored != current {
            guard try ledger.version(stored) != nil else {
                throw LedgerError(code: "unknown-version", "the stored state is at version \(stored), which the ledger does not have; version \(current) cannot read it")
            }
            logger.warning("the stored state is at version \(stored), the ledger said \(current): running \(stored)")
            try ledger.activateVersion(stored)
            try ledger.record("swap-recovered", "version \(current) → \(stored) (from the stored state)")
            current = stored
        }
        guard let record = try ledger.version(current) else { throw LedgerError(code: "no-version", "version \(current) is not in the ledger") }
        version = current
        entry = try materialize(version: current, entry: record.entry)
        // The worker checks against the version before, to know the shapes older stored values have; not after a
        // rollback, whose code is older than what ran before it (the data was brought back to its shapes).
        againstEntry = nil
        if record.restores == nil, let previous = try ledger.version(current - 1) {
            againstEntry = try materialize(version: previous.number, entry: previous.entry)
        }
    }

    /// Writes the version's files under code/vN (once) and gives the path of its entry file.
    func materialize(version: Int, entry: String) throws -> String {
        try VersionFiles.materialize(ledger, home: home, version: version, entry: entry)
    }

    // MARK: - The worker

    /// Runs the worker until it exits; says how it ended, with its exit code when it exited on its own.
    func runWorker(entry: String) async -> (String, Int32?) {
        state = .running
        let log = open(home.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { if log >= 0 { close(log) } }
        var arguments = ["worker", "--home", home.path, "--entry", entry, "--port", String(port), "--version", String(version),
                         "--host", options.host]
        if let againstEntry { arguments += ["--against", againstEntry] }
        do {
            let result = try await Subprocess.run(
                .path(FilePath(executable)), arguments: Arguments(arguments),
                input: .none,
                output: .fileDescriptor(FileDescriptor(rawValue: log), closeAfterSpawningProcess: false),
                error: .fileDescriptor(FileDescriptor(rawValue: log), closeAfterSpawningProcess: false)
            ) { execution in
                self.workerStarted(pid: execution.processIdentifier.value)
            }
            workerPID = nil
            try? ledger.processStopped("worker")
            switch result.terminationStatus {
            case .exited(let code): return ("exit code \(code)", code)
            case .signaled(let signal): return ("signal \(signal)", nil)
            }
        } catch {
            workerPID = nil
            logger.error("cannot start the worker: \(error)")
            return ("not started: \(error)", nil)
        }
    }

    func workerStarted(pid: pid_t) {
        workerPID = pid
        boundResources = []
        workerStartedAt = Date()
        try? ledger.processStarted("worker", pid: pid, countRestart: restarts > 0)
        try? ledger.record("launched", "worker pid \(pid) version \(version)")
    }

    /// A worker left running by a supervisor that died: ours if its command line names this home.
    func adoptableWorker() -> pid_t? {
        guard let record = try? ledger.processes().first(where: { $0.role == "worker" }), let pid = record.pid, kill(pid, 0) == 0,
              let commandLine = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return nil }
        let parts = commandLine.split(separator: "\0").map(String.init)
        guard parts.contains("worker"), let index = parts.firstIndex(of: "--home"), index + 1 < parts.count, parts[index + 1] == home.path else {
            return nil
        }
        return pid
    }

    func watchAdopted(_ pid: pid_t) async {
        workerPID = pid
        state = .running
        try? ledger.record("adopted", "worker pid \(pid)")
        var ticks = 0
        while kill(pid, 0) == 0 && !ProcessTable.isZombie(pid) {
            try? await Task.sleep(for: .milliseconds(50))
            ticks += 1
            if ticks % 10 == 0 && !swapping { await reconcileServedVersion() }
        }
        workerPID = nil
        if !stopping {
            logger.warning("the adopted worker pid=\(pid) exited; starting a new one")
            restarts += 1
        }
    }

    /// An adopted worker may have finished a swap its old supervisor did not live to record: when it serves
    /// another version than ours, the stored state says which version is current (as at start).
    func reconcileServedVersion() async {
        guard let served = try? await WorkerClient(path: home.workerSocket).health(timeout: .seconds(2)).version, served != version else { return }
        do {
            try selectVersion()
            logger.info("the worker serves version \(served): version \(version) is current")
        } catch {
            logger.error("the worker serves version \(served), and the ledger cannot say so: \(error)")
        }
    }

    // MARK: - Stopping

    func installSignalHandlers() -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { Task { await self.stop() } }
            source.resume()
            return source
        }
    }

    /// Stops the worker (SIGTERM, then SIGKILL after 10 s) and ends supervision.
    func stop() async {
        stopping = true
        state = .stopping
        // A launch that held the face for its plan ends with the app stopped: the next start opens it.
        unlink(home.faceHoldPath)
        guard let pid = workerPID else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while workerPID != nil && kill(pid, 0) == 0 && !ProcessTable.isZombie(pid) {
            if Date() > deadline {
                logger.warning("the worker did not stop within 10s: killing it")
                kill(pid, SIGKILL)
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Why the worker that just exited could not run, as it wrote it (WorkerFailure); read once.
    static func takeWorkerFailure(_ home: AppHome) -> String? {
        defer { unlink(home.workerFailurePath) }
        guard let data = FileManager.default.contents(atPath: home.workerFailurePath) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}

extension Supervisor {
    /// The app's phase as the supervisor drives it.
    enum Phase: String, Sendable {
        case starting
        /// A worker process is up; whether it serves is asked of the worker.
        case running
        /// The worker died and is started again after a backoff.
        case restarting
        case failed
        case stopping
    }
}
