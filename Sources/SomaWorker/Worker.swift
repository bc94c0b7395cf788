import Foundation
import Logging
import ServiceLifecycle
import SomaChecker
import SomaControl
import SomaDiagnostics
import SomaFace
import SomaRuntime
import SomaStorage

/// The worker process: runs the program's turns and serves its face. Started and watched by the supervisor;
/// exits 0 after a graceful shutdown (SIGTERM), non-zero when the program cannot come up.
public enum Worker {
    public struct Configuration: Sendable {
        public var home: AppHome
        public var entry: String
        public var host: String
        public var port: Int
        public var version: Int
        /// The previous version's entry file: the program is checked against it, so it knows the old shapes of
        /// values an older version wrote (queued messages are migrated as they are consumed).
        public var against: String?

        public init(home: AppHome, entry: String, against: String? = nil, host: String = "127.0.0.1", port: Int, version: Int) {
            self.home = home
            self.entry = entry
            self.against = against
            self.host = host
            self.port = port
            self.version = version
        }
    }

    public static func run(_ configuration: Configuration) async -> Int32 {
        let logger = Logger(label: "worker")
        // One worker per home: a second one would share the state database and steal the sockets.
        guard let lock = FileLock.acquire(path: configuration.home.workerLock) else {
            logger.error("another worker is already running for \(configuration.home.name)")
            return 1
        }
        defer { withExtendedLifetime(lock) {} }
        SupervisorBroker.warmUp()
        guard let (program, config) = load(configuration, logger: logger) else {
            noteFailure("the program does not load (see soma logs)", home: configuration.home)
            return 1
        }
        // Before anything starts: a face that cannot guard itself does not run the program at all.
        var token: String?
        if let path = config.face.tokenFile {
            guard let data = FileManager.default.contents(atPath: path),
                  let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
                logger.error("the face's token file \(path) cannot be read, or is empty")
                noteFailure("the face's token file \(path) cannot be read, or is empty", home: configuration.home)
                return 1
            }
            token = text
        }
        let store: StateStore
        let engine: TurnEngine
        do {
            store = try StateStore(path: configuration.home.statePath)
            try store.recordProgramVersionIfAbsent(configuration.version)
            if let stored = try store.programVersion(), stored != configuration.version {
                // A swap reached its commit point but the supervisor did not hear of it (or the other way round):
                // the supervisor decides which version runs from the state, so it must not start this one.
                logger.error("the stored state is at version \(stored), not \(configuration.version); the supervisor must start version \(stored)")
                SupervisorBroker.tell(configuration.home, .storedState(version: stored))
                return WorkerExit.versionMismatch
            }
            engine = try TurnEngine(program: program, store: store, broker: SupervisorBroker(home: configuration.home, providers: config.resourceProviders, ports: config.resourcePorts),
                                    observer: FaceMetrics.shared, cacheBytes: config.cacheBytes ?? CacheBudget.defaultBytes,
                                    log: { logger.warning("\($0)") }) { reason in
                logger.critical("the state database failed; exiting so that the supervisor restarts from what is durable: \(reason)")
                exit(70)
            }
            for value in engine.quarantined {
                logger.error("\(TurnEngine.quarantineNotice(value))")
            }
            try await engine.start()
        } catch let error as TurnError where error.kind == .resource {
            logger.error("the program cannot start: \(error.message)")
            return WorkerExit.resourcesUnavailable
        } catch {
            logger.error("the program cannot start: \(error)")
            noteFailure("\(error)", home: configuration.home)
            return 1
        }
        let code = await serve(program, engine: engine, configuration: configuration, settings: config.face, token: token, logger: logger)
        engine.stop()
        engine.closeResources()
        store.close()
        logger.info(code == 0 ? "stopped" : "stopped after an error")
        return code
    }

    /// Checks the program; nil (with the diagnostics logged) when it does not check.
    /// The program, with its soma.toml (which says each resource's provider and port).
    static func load(_ configuration: Configuration, logger: Logger) -> (RuntimeProgram, ProjectConfig)? {
        if let against = configuration.against, let outcome = SomaCheck.check(path: configuration.entry, against: against), !outcome.hasErrors {
            return (RuntimeProgram(outcome: userFacing(outcome, entry: configuration.entry)), outcome.program.config)
        }
        guard let outcome = SomaCheck.check(path: configuration.entry) else {
            logger.error("cannot read the program at \(configuration.entry)")
            return nil
        }
        if outcome.hasErrors {
            let text = DiagnosticRenderer(sources: outcome.sources).renderAll(outcome.diagnostics)
            for line in text.split(separator: "\n") { logger.error("\(line)") }
            return nil
        }
        return (RuntimeProgram(outcome: userFacing(outcome, entry: configuration.entry)), outcome.program.config)
    }

    /// The worker runs a copy of the program kept with its version; errors name the files as the user knows
    /// them, relative to the folder of the entry file (`app.cell:12:5`), not the copy's path.
    static func userFacing(_ outcome: CheckOutcome, entry: String) -> CheckOutcome {
        let folder = (entry as NSString).deletingLastPathComponent + "/"
        var relabeled = outcome
        relabeled.sources = outcome.sources.relabeled { $0.hasPrefix(folder) ? String($0.dropFirst(folder.count)) : $0 }
        return relabeled
    }

    /// Why this worker cannot run, for the supervisor to name when it stops restarting it.
    static func noteFailure(_ cause: String, home: AppHome) {
        SupervisorBroker.tell(home, .workerFailed(reason: cause))
    }

    /// Serves the face and the control socket until a graceful shutdown; 0 then, 1 when the face failed.
    static func serve(_ program: RuntimeProgram, engine: TurnEngine, configuration: Configuration, settings: FaceSettings, token: String?,
                      logger: Logger) async -> Int32 {
        let openAPI: [UInt8]
        do {
            openAPI = try FaceOpenAPI.document(for: program, app: configuration.home.name, version: String(configuration.version))
        } catch {
            logger.error("cannot build the OpenAPI document: \(error)")
            return 1
        }
        let draining = FaceServer.Draining()
        let dispatcher = FaceDispatcher(engine: engine)
        let document = OpenAPIDocument(openAPI)
        let face = FaceServer(dispatcher: dispatcher, metrics: FaceMetrics.shared, openAPI: document, draining: draining,
                              appName: configuration.home.name, settings: settings, token: token)
        let serving = ServingFlag(version: configuration.version)
        let hold = FaceHold(held: FileManager.default.fileExists(atPath: configuration.home.faceHoldPath))
        let readiness = ReadinessNote(home: configuration.home, held: { hold.isHeld })
        // soma.toml [face] host, else the supervisor's (loopback).
        let host = settings.host ?? configuration.host, version = configuration.version
        let application = face.application(host: host, port: configuration.port, logger: logger) { port in
            serving.set(port: port)
            logger.info("serving on http://\(host):\(port) version=\(serving.version)")
            readiness.faceServes()
        }
        if hold.isHeld { logger.notice("the face stays closed while a launch decides whether new code replaces version \(version)") }
        let control = WorkerControlService(home: configuration.home, dispatcher: dispatcher, metrics: FaceMetrics.shared,
                                           serving: serving, openAPI: document, hold: hold, readiness: readiness, host: host)
        let drain = DrainService(draining: draining, engine: engine, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: drain), .init(service: HeldFaceService(hold: hold, face: application)), .init(service: control)],
                                 gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
            return 0
        } catch {
            logger.error("the face stopped: \(error)")
            return 1
        }
    }
}

/// On graceful shutdown: face calls get 503, timers stop; running turns finish before the server closes.
struct DrainService: Service {
    let draining: FaceServer.Draining
    let engine: TurnEngine
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        draining.begin()
        engine.stop()
        logger.info("shutting down: finishing running turns")
    }
}
