import Foundation
import Logging
import SomaControl
import SomaLedger
import SomaProcesses
import SomaProtocol
import SomaProviders
import ServiceLifecycle

/// The app's worker under supervision: the version it runs, its process (started, adopted after a supervisor
/// restart, restarted, given up on), swaps, and the app's phase that `soma status` reports. One service of
/// the supervisor's group (Supervisor.run).
actor WorkerSupervisor: Service {
    let home: AppHome
    let ledger: Ledger
    let options: Supervisor.Options
    let logger: Logger
    let executable: String
    var policy: RestartPolicy
    /// Where the app's processes run.
    let host: any ProcessHost
    let resources: ResourceManager
    /// Opened once the control socket accepts connections (false when it cannot): the worker asks it for its
    /// resources as it starts.
    let controlBound: StartGate<Bool>
    /// Opened with the entry of the version to run once it is chosen, nil when the app does not run.
    let prepared = StartGate<String?>()
    /// How this supervisor was started: to run the app as the ledger has it, to receive a launch, or with one.
    let mode: Supervisor.Mode
    /// An idle supervisor's wait: opened with a launch's order, or nil when it is stopped (or nobody asks).
    let orders = StartGate<LaunchOrder?>()
    /// Whether the app ran under this supervisor (an idle one that only served a release did not).
    var launched = false
    /// An idle supervisor was sent its launch: a second order is refused.
    var launchOrdered = false
    let activity: ControlActivity
    /// What the last worker refused to start at said about the stored state: the version it is at.
    var storedVersion: Int?
    var worker: SupervisedProcess?
    var workerPID: pid_t?
    var workerStartedAt = Date()
    /// The app's phase as the supervisor drives it.
    var state = Phase.starting {
        didSet { changes.changed() }
    }
    /// Told of every change `soma status` shows, for `watch`.
    let changes: ChangeFeed
    var failure: String?
    var stopping = false
    var restarts = 0
    /// What the last worker said about why it cannot run, as it gave up starting (`workerFailed`).
    var lastWorkerFailure: String?
    /// While an adopted worker runs: whether it swapped to a version its old supervisor did not record.
    var servedVersionCheck: Task<Void, Never>?
    let startedAt = Date()
    var version = 0
    var port = 0
    /// The running version's entry file (materialized under code/vN) and the previous version's, which the
    /// worker checks against to know the shapes of older stored values.
    var entry = ""
    var againstEntry: String?
    /// A swap in progress: a second one is refused.
    var swapping = false

    init(home: AppHome, ledger: Ledger, options: Supervisor.Options, mode: Supervisor.Mode, logger: Logger, host: any ProcessHost,
         resources: ResourceManager, controlBound: StartGate<Bool>, activity: ControlActivity, changes: ChangeFeed) {
        self.home = home
        self.ledger = ledger
        self.options = options
        self.logger = logger
        self.policy = options.policy
        self.mode = mode
        self.activity = activity
        self.executable = DetachedProcess.currentExecutable
        self.host = host
        self.resources = resources
        self.controlBound = controlBound
        self.changes = changes
    }

    /// Reads the app from the ledger and chooses the version to run; false (logged, and the app's failure)
    /// when there is none.
    func prepare() -> Bool {
        do {
            guard let app = try ledger.app(), app.currentVersion != nil else {
                throw LedgerError(code: "no-version", "the app home \(home.path) has no version to run")
            }
            port = app.port ?? 0
            if let maximum = app.maxRestarts { policy.maximumRestarts = maximum }
            if let window = app.restartWindow { policy.window = window }
            try selectVersion()
            try ledger.processStarted("supervisor", pid: getpid(), countRestart: false)
            try ledger.setState("running")
            try ledger.record("supervisor-started", "pid \(getpid())")
            launched = true
            return true
        } catch {
            logger.error("\(error)")
            state = .failed
            failure = "\(error)"
            return false
        }
    }

    /// Once the control socket is bound (and, started idle, once a launch is ordered), chooses the version,
    /// reconciles the resources and runs the worker until it is stopped (`soma stop`, or the group's graceful
    /// shutdown) or given up on.
    func run() async {
        await withGracefulShutdownHandler {
            await self.supervise()
        } onGracefulShutdown: {
            Task { await self.stop() }
        }
    }

    func supervise() async {
        let ready = await readyToRun()
        // Control over TCP listens as the chosen version's soma.toml says; nothing listens when the app does not run.
        prepared.open(ready ? entry : nil)
        guard ready else { return }
        logger.info("supervising \(home.name) version \(version) pid=\(getpid())")
        await resources.use(policy: policy)
        await resources.reconcile()
        let worker = SupervisedProcess(spec: workerSpec(), policy: policy, host: host, command: { await self.workerCommand() },
                                       observer: { await self.workerReported($0) })
        self.worker = worker
        // A stop asked while the resources were reconciled leaves nothing to start.
        guard !stopping else { return }
        try? await worker.start()
        _ = await worker.ended()
    }

    /// Waits for what the mode needs before the app runs (the control socket, and an idle supervisor's order),
    /// records a launch, and chooses the version; false when the app is not to run.
    func readyToRun() async -> Bool {
        guard await controlBound.wait() else {
            state = .failed
            failure = "the supervisor could not serve its control socket (see soma logs)"
            return false
        }
        switch mode {
        case .resume:
            break
        case .launch(let order):
            do {
                _ = try record(order)
            } catch {
                logger.error("\(error.message)")
                state = .failed
                failure = error.message
                return false
            }
        case .idle(let seconds):
            let quietEnd = Task { await self.endWhenUnused(after: seconds) }
            let order = await orders.wait()
            quietEnd.cancel()
            guard order != nil else { return false }
        }
        return prepare()
    }

    /// The app's state for the ledger once supervision has ended; nil when the app did not run under it.
    var outcome: (failed: Bool, failure: String?)? { launched || state == .failed ? (state == .failed, failure) : nil }

    /// The version to run: the one the stored state is at, as the worker said (a swap whose commit point passed
    /// before the supervisor recorded it is finished here), when the ledger knows it; else the ledger's current
    /// version. The supervisor never opens the state itself: only the worker does.
    func selectVersion(stored: Int? = nil) throws {
        guard let app = try ledger.app(), var current = app.currentVersion else { throw LedgerError(code: "no-version", "the app has no version") }
        if let stored, stored != current {
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

    /// The worker is adopted when the ledger's worker pid still runs this home's worker (its supervisor died).
    func workerSpec() -> SupervisedProcess.Spec {
        let recorded = (try? ledger.processes())?.first { $0.role == "worker" }?.pid
        return SupervisedProcess.Spec(
            name: "the worker",
            adoption: recorded.map { .recorded(pid: $0, argumentsPrefix: ["worker", "--home", home.path]) } ?? .none,
            exitRules: [
                // The state is at another version than the ledger said (a swap's commit point passed unrecorded).
                WorkerExit.versionMismatch: .restartAtOnce,
                // Restarting cannot make resources that failed to provision appear.
                WorkerExit.resourcesUnavailable: .giveUp(reason: "its resources could not be provisioned"),
            ])
    }

    /// The worker's command for the version that runs now.
    func workerCommand() -> ProcessCommand {
        var arguments = ["worker", "--home", home.path, "--entry", entry, "--port", String(port), "--version", String(version),
                         "--host", options.host]
        if let againstEntry { arguments += ["--against", againstEntry] }
        return ProcessCommand(executable: executable, arguments: arguments, logPath: home.logPath)
    }

    func workerReported(_ report: SupervisedProcess.Report) async {
        switch report {
        case .started(let pid, let restart):
            if !restart && restarts == 0 { try? ledger.resetProcessRestarts("worker") }
            lastWorkerFailure = nil
            workerPID = pid
            state = .running
            await resources.workerStarted()
            workerStartedAt = Date()
            try? ledger.processStarted("worker", pid: pid, countRestart: restart)
            try? ledger.record("launched", "worker pid \(pid) version \(version)")
        case .adopted(let pid):
            logger.info("adopting the running worker pid=\(pid)")
            // The counters are the app's, not this supervisor's: they carry on from the ledger.
            if let record = try? ledger.processes().first(where: { $0.role == "worker" }) {
                restarts = record.restarts
                if let started = record.startedAt.flatMap({ try? Date($0, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }) {
                    workerStartedAt = started
                }
            }
            workerPID = pid
            state = .running
            try? ledger.record("adopted", "worker pid \(pid)")
            servedVersionCheck = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(500))
                    if !Task.isCancelled { await self.reconcileServedVersion() }
                }
            }
        case .exited(let status, let uptime, let next):
            servedVersionCheck?.cancel()
            servedVersionCheck = nil
            workerPID = nil
            try? ledger.processStopped("worker")
            switch next {
            case .respawn:
                do {
                    try selectVersion(stored: storedVersion)
                    storedVersion = nil
                } catch {
                    logger.error("cannot select the version to run: \(error)")
                }
            case .restart(let delay):
                restarts += 1
                state = .restarting
                logger.warning("the worker exited (\(status)) after \(String(format: "%.1f", uptime))s; restarting in \(Int(delay * 1000))ms")
                try? ledger.record("restarted", "worker \(status)")
            case .giveUp:
                break
            }
        case .gaveUp(let status, let reason):
            state = .failed
            if status.code == WorkerExit.resourcesUnavailable {
                // Say which resource and why.
                let failed = (try? ledger.resources())?.first { $0.state == "failed" }
                failure = failed.map { "provisioning \($0.intent.kind) '\($0.name)' failed: \($0.failure ?? "unknown cause")" }
                    ?? "the program's resources could not be provisioned (see soma logs)"
                logger.error("\(failure!)")
            } else {
                failure = lastWorkerFailure.map { "the worker keeps exiting: \($0) (\(status); \(reason))" }
                    ?? "the worker keeps exiting (\(status)): \(reason)"
                logger.error("giving up: \(failure!)")
            }
            try? ledger.record("failed", failure!)
            try? ledger.setState("failed", failure: failure)
            stopping = true
        case .unhealthy(let pid):
            logger.warning("the worker pid=\(pid) stopped answering its health checks; killing it")
        case .leftoversKilled, .stopped:
            workerPID = nil
        }
    }

    /// An adopted worker may have finished a swap its old supervisor did not live to record: when it serves
    /// another version than ours, the stored state says which version is current (as at start).
    func reconcileServedVersion() async {
        guard !swapping, let served = try? await WorkerClient(path: home.workerSocket).health(timeout: .seconds(2)).version,
              served != version, !swapping else { return }
        do {
            try selectVersion(stored: served)
            logger.info("the worker serves version \(served): version \(version) is current")
        } catch {
            logger.error("the worker serves version \(served), and the ledger cannot say so: \(error)")
        }
    }

    // MARK: - Stopping

    /// Stops the worker (SIGTERM, then SIGKILL after 10 s) and ends supervision.
    func stop() async {
        orders.open(nil)
        stopping = true
        state = .stopping
        // A launch that held the face for its plan ends with the app stopped: the next start opens it.
        unlink(home.faceHoldPath)
        await worker?.stop()
    }
}

extension WorkerSupervisor {
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
