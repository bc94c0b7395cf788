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

        public init(home: AppHome, entry: String, host: String = "127.0.0.1", port: Int, version: Int) {
            self.home = home
            self.entry = entry
            self.host = host
            self.port = port
            self.version = version
        }
    }

    public static func run(_ configuration: Configuration) async -> Int32 {
        let logger = Logger(label: "worker")
        guard let outcome = SomaCheck.check(path: configuration.entry) else {
            logger.error("cannot read the program at \(configuration.entry)")
            return 1
        }
        if outcome.hasErrors {
            let text = DiagnosticRenderer(sources: outcome.sources).renderAll(outcome.diagnostics)
            for line in text.split(separator: "\n") { logger.error("\(line)") }
            return 1
        }
        let program = RuntimeProgram(outcome: outcome)
        let store: StateStore
        let engine: TurnEngine
        do {
            store = try StateStore(path: configuration.home.statePath)
            engine = try TurnEngine(program: program, store: store, observer: FaceMetrics.shared)
            try await engine.start()
        } catch {
            logger.error("the program cannot start: \(error)")
            return 1
        }
        let openAPI: [UInt8]
        do {
            openAPI = try FaceOpenAPI.document(for: program, app: configuration.home.name, version: String(configuration.version))
        } catch {
            logger.error("cannot build the OpenAPI document: \(error)")
            return 1
        }
        let dispatcher = FaceDispatcher(engine: engine)
        let draining = FaceServer.Draining()
        let face = FaceServer(dispatcher: dispatcher, metrics: FaceMetrics.shared, openAPI: openAPI, draining: draining,
                              appName: configuration.home.name)
        let serving = ServingFlag()
        let application = face.application(host: configuration.host, port: configuration.port, logger: logger) { port in
            serving.set(port: port)
            logger.info("serving on http://\(configuration.host):\(port) version=\(configuration.version)")
        }
        let control = WorkerControlService(home: configuration.home, dispatcher: dispatcher, metrics: FaceMetrics.shared,
                                           serving: serving, version: configuration.version)
        let drain = DrainService(draining: draining, engine: engine, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: drain), .init(service: application), .init(service: control)],
                                 gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("the face stopped: \(error)")
            store.close()
            return 1
        }
        engine.stop()
        store.close()
        logger.info("stopped")
        return 0
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
