import Foundation
import Logging
import SomaControl
import SomaLedger
import SomaProcesses
import SomaProtocol
import ServiceLifecycle

/// The supervisor daemon of one app: the ledger's one writer, the control socket, the worker it starts and
/// restarts (backoff, then `failed` past the restart intensity), and the resources' processes. It runs no user
/// code. While it lives it holds the home's supervisor lock; a worker that finds the lock free starts a new
/// supervisor, which adopts the running worker.
///
/// It is a service group (docs/supervision.md): the control service, the resources, the worker. SIGTERM and
/// SIGINT shut it down gracefully in reverse order: the worker stops first (its turns drain), then the
/// resources' processes, then the control socket. A worker that stops (`soma stop`) or is given up on ends
/// the group the same way.
public enum Supervisor {
    public struct Options: Sendable {
        public var policy = RestartPolicy()
        public var host = "127.0.0.1"
        public init() {}
    }

    /// How a supervisor was started.
    public enum Mode: Sendable {
        /// To run the app as its ledger has it: after a crash, or started by a worker that found none.
        case resume
        /// To receive orders: `soma launch` sends its launch (then the app runs), `soma resources release` of a
        /// stopped app its release, then a stop. It ends by itself when nothing is asked for `unusedSeconds`.
        case idle(unusedSeconds: Double)
        /// In the foreground, with the launch's order.
        case launch(LaunchOrder)
    }

    /// How long a supervisor started idle waits for its first order.
    public static let idleSeconds = 30.0

    static let sampleOrder = LaunchOrder(app: "warm-up", expectedVersion: nil, code: ProgramCode(entry: "app.cell", files: [.init(path: "app.cell", content: Data())], hash: ""),
                                         settings: nil, port: 1, providerPaths: [], maxRestarts: 1, restartWindow: 1, holdFace: false)

    /// Runs the supervisor of the app at `home` until it is stopped or gives up. Returns the exit code.
    public static func run(home: AppHome, mode: Mode = .resume, options: Options = Options(), logger: Logger) async -> Int32 {
        guard let lock = FileLock.acquire(path: home.supervisorLock) else {
            logger.info("a supervisor is already running for \(home.name)")
            return 0
        }
        defer { withExtendedLifetime(lock) {} }
        if case .idle = mode {
            // Meanwhile the ledger syncs: the launch order that follows then decodes at once (Frame.warmUp).
            Thread.detachNewThread { Frame.warmUp(.launch(Self.sampleOrder), as: .supervisor) }
        }
        let ledger: Ledger
        do {
            ledger = try Ledger(path: home.ledgerPath)
        } catch {
            logger.error("\(error)")
            return 1
        }
        let host = LocalProcessHost()
        let bound = StartGate<Bool>()
        let activity = ControlActivity()
        let changes = ChangeFeed()
        let resources = ResourceManager(home: home, ledger: ledger, logger: logger, executable: DetachedProcess.currentExecutable,
                                        host: host, policy: options.policy, changes: changes)
        let workers = WorkerSupervisor(home: home, ledger: ledger, options: options, mode: mode, logger: logger, host: host,
                                       resources: resources, controlBound: bound, activity: activity, changes: changes)
        let control = ControlService(home: home, logger: logger, workers: workers, resources: resources, bound: bound, activity: activity,
                                     changes: changes)
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: control),
                .init(service: resources),
                .init(service: workers, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("the supervisor stopped: \(error)")
        }
        guard let (failed, failure) = await workers.outcome else {
            logger.info("supervisor exiting")
            return 0
        }
        try? ledger.processStopped("worker")
        try? ledger.processStopped("supervisor")
        try? ledger.setState(failed ? "failed" : "stopped", failure: failure)
        if !failed { try? ledger.record("stopped", "") }
        logger.info("supervisor exiting")
        return failed ? 1 : 0
    }
}
