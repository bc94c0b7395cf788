import ArgumentParser
import Foundation
import Logging
import SomaControl
import SomaResources
import SomaSupervisor
import SomaWorker

/// `soma supervise --home DIR [--idle]`: the supervisor daemon (started idle by `soma launch`, which then sends
/// it the launch, or by a worker whose supervisor died). Not for direct use.
struct SuperviseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "supervise", abstract: "Run an app's supervisor (internal).",
                                                    shouldDisplay: false)

    @Option var home: String
    /// Wait for orders (a launch, a release) instead of running the app as its ledger has it.
    @Flag var idle = false
    /// How long an idle supervisor waits for its first order (tests shorten it).
    @Option var idleSeconds: Double = Supervisor.idleSeconds

    func run() async throws {
        LineLogHandler.bootstrap(source: "supervisor")
        let code = await Supervisor.run(home: AppHome(path: home), mode: idle ? .idle(unusedSeconds: idleSeconds) : .resume,
                                        logger: Logger(label: "supervisor"))
        if code != 0 { throw ExitCode(code) }
    }
}

/// `soma worker ...`: the process that runs the program's turns and serves its face (internal).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run an app's worker (internal).",
                                                    shouldDisplay: false)

    @Option var home: String
    @Option var entry: String
    @Option var port: Int
    @Option var version: Int
    @Option var against: String?
    @Option var host: String = "127.0.0.1"

    func run() async throws {
        LineLogHandler.bootstrap(source: "worker")
        let appHome = AppHome(path: home)
        let watch = SupervisorWatch(home: appHome)
        watch.start()
        let code = await Worker.run(.init(home: appHome, entry: entry, against: against, host: host, port: port, version: version))
        if code != 0 { throw ExitCode(code) }
    }
}

/// The worker's half of "nothing stays unsupervised": when the supervisor's lock is free (it died), start a
/// new supervisor, which adopts this worker.
final class SupervisorWatch: Sendable {
    let home: AppHome

    init(home: AppHome) {
        self.home = home
    }

    func start() {
        let home = home
        Thread.detachNewThread {
            while true {
                usleep(100_000)
                guard !FileLock.isHeld(path: home.supervisorLock) else { continue }
                do {
                    let pid = try DetachedProcess.spawn(DetachedProcess.currentExecutable, arguments: ["supervise", "--home", home.path],
                                                        logPath: home.logPath)
                    DetachedProcess.reapInBackground(pid)
                } catch {
                    Logger(label: "worker").error("the supervisor is gone and a new one could not be started: \(error); trying again")
                }
                // Give the new supervisor time to take the lock before looking again.
                usleep(1_000_000)
            }
        }
    }
}

/// `soma queue-serve --data DIR ...`: the command line of the process that serves one durable queue (internal;
/// the supervisor runs it for a `QueueService<T>` resource and restarts it when it dies).
struct QueueServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue-serve", abstract: "Serve a durable queue (internal).",
                                                    shouldDisplay: false)

    @Option var data: String
    @Option var name: String
    @Option(name: .customLong("max-attempts")) var maxAttempts: Int = 5
    @Option(name: .customLong("visibility-ms")) var visibilityMilliseconds: Int = 30_000
    @Option(name: .customLong("retry-base-ms")) var retryBaseMilliseconds: Int = QueueOptions.defaultRetryBase
    @Option(name: .customLong("retry-cap-ms")) var retryCapMilliseconds: Int = QueueOptions.defaultRetryCap

    func run() async throws {
        LineLogHandler.bootstrap(source: "queue:\(name)")
        let options = QueueStore.Options(maxAttempts: maxAttempts, visibilityMilliseconds: visibilityMilliseconds,
                                         retryBaseMilliseconds: retryBaseMilliseconds, retryCapMilliseconds: retryCapMilliseconds)
        let code = await QueueProcess.run(data: data, name: name, options: options)
        if code != 0 { throw ExitCode(code) }
    }
}
