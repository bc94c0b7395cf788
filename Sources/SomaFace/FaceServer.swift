import Hummingbird
import Logging
import NIOCore
import SomaChecker
import SomaControl
import SomaRuntime
import Synchronization

/// The program's face over HTTP: `POST /CELL/SIGNAL`, `GET /healthz`, `GET /metrics`, `GET /openapi.json`.
public struct FaceServer: Sendable {
    /// Set when shutdown begins: from then on face calls get 503 while running turns finish.
    public final class Draining: Sendable {
        private let flag = Mutex(false)
        public init() {}
        public var isDraining: Bool { flag.withLock { $0 } }
        public func begin() { flag.withLock { $0 = true } }
    }

    public let dispatcher: FaceDispatcher
    public let metrics: FaceMetrics
    /// Replaced when a swap changes the face.
    public let openAPI: OpenAPIDocument
    public let draining: Draining
    public let maximumBodySize: Int
    public let appName: String
    public let settings: FaceSettings
    public let guardian: FaceGuard

    public init(dispatcher: FaceDispatcher, metrics: FaceMetrics, openAPI: OpenAPIDocument, draining: Draining, appName: String,
                settings: FaceSettings = FaceSettings(), token: String? = nil, maximumBodySize: Int = 1 << 20) {
        self.dispatcher = dispatcher
        self.metrics = metrics
        self.openAPI = openAPI
        self.draining = draining
        self.appName = appName
        self.settings = settings
        self.guardian = FaceGuard(settings: settings, token: token)
        self.maximumBodySize = maximumBodySize
    }

    /// Every request passes the guard first: Host, Origin and, but for /healthz, the bearer token.
    struct GuardMiddleware: RouterMiddleware {
        typealias Context = BasicRequestContext
        let guardian: FaceGuard

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            let host = request.head.authority
            if let refusal = guardian.refusal(host: host, origin: request.headers[.origin],
                                              authorization: guardian.needsToken ? request.headers[.authorization] : nil,
                                              needsToken: guardian.needsToken && request.uri.path != "/healthz") {
                var response = FaceServer.json(refusal.status, refusal.body)
                if refusal.status == 401 { response.headers[.wwwAuthenticate] = "Bearer" }
                return response
            }
            return try await next(request, context)
        }
    }

    static func json(_ status: Int, _ body: [UInt8]) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let server = self
        router.add(middleware: GuardMiddleware(guardian: guardian))
        router.get("/healthz") { _, _ -> Response in
            let counts = server.metrics.counts
            var body = JSONWriter()
            body.raw("{\"status\":")
            body.string(server.draining.isDraining ? "draining" : "serving")
            body.raw(",\"app\":")
            body.string(server.appName)
            body.raw(",\"turns\":\(counts.served),\"failed\":\(counts.failed)}")
            return Self.json(server.draining.isDraining ? 503 : 200, body.output)
        }
        router.get("/metrics") { _, _ -> Response in
            var text = server.metrics.prometheusText()
            // Blocking calls to the queue processes: on a thread of their own, not one the face's tasks need.
            let engine = server.dispatcher.engine
            let cache = engine.cache
            text += Array("""
                # HELP soma_cache_bytes What every cell's memory caches of the stored state (docs/state.md).
                # TYPE soma_cache_bytes gauge
                soma_cache_bytes \(cache.bytes)
                # HELP soma_cache_limit_bytes soma.toml [memory] cache.
                # TYPE soma_cache_limit_bytes gauge
                soma_cache_limit_bytes \(cache.limit)
                # HELP soma_cache_hits_total Reads of a Map's entry that memory answered.
                # TYPE soma_cache_hits_total counter
                soma_cache_hits_total \(cache.hits)
                # HELP soma_cache_misses_total Reads of a Map's entry that went to the store.
                # TYPE soma_cache_misses_total counter
                soma_cache_misses_total \(cache.misses)
                # HELP soma_cache_scans_total Reads of a whole Map slot from the store.
                # TYPE soma_cache_scans_total counter
                soma_cache_scans_total \(cache.scans)
                # HELP soma_cache_scanned_rows_total Rows those reads went through.
                # TYPE soma_cache_scanned_rows_total counter
                soma_cache_scanned_rows_total \(cache.scannedRows)
                # HELP soma_invariant_evaluations_total Invariants evaluated by committed turns.
                # TYPE soma_invariant_evaluations_total counter
                soma_invariant_evaluations_total \(engine.invariantCounts.evaluated)
                # HELP soma_invariant_skips_total Invariants a committed turn did not evaluate: it wrote nothing they read.
                # TYPE soma_invariant_skips_total counter
                soma_invariant_skips_total \(engine.invariantCounts.skipped)

                """.utf8)
            let dead = await OwnThread.run { engine.deadLetterCounts() }
            if !dead.isEmpty {
                text += Array("# HELP soma_queue_dead_letters Messages that used up their attempts, by queue.\n# TYPE soma_queue_dead_letters gauge\n".utf8)
                for (queue, count) in dead.sorted(by: { $0.key < $1.key }) {
                    text += Array("soma_queue_dead_letters{queue=\"\(queue)\"} \(count)\n".utf8)
                }
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
        router.get("/openapi.json") { _, _ -> Response in
            Self.json(200, server.openAPI.bytes)
        }
        router.post("/:cell/:signal") { request, context -> Response in
            guard !server.draining.isDraining else {
                return Self.json(503, FaceResponse.error(503, code: "shutting-down", message: "the program is shutting down; retry shortly").body)
            }
            let cell = context.parameters.get("cell") ?? ""
            let signal = context.parameters.get("signal") ?? ""
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: server.maximumBodySize)
            } catch {
                return Self.json(413, FaceResponse.error(413, code: "body-too-large",
                                                         message: "the body is larger than \(server.maximumBodySize) bytes").body)
            }
            let response = await server.dispatcher.call(cell: cell, signal: signal, body: Array(body.readableBytesView))
            return Self.json(response.status, response.body)
        }
        // A signal is called with POST only; any other method gets 405 with a JSON body, not a bare 404.
        for method in [HTTPRequest.Method.get, .put, .delete, .patch] {
            router.on("/:cell/:signal", method: method) { request, _ -> Response in
                var response = Self.json(405, FaceResponse.error(405, code: "method-not-allowed",
                                                                 message: "a signal is called with POST, not \(request.method)").body)
                response.headers[.allow] = "POST"
                return response
            }
        }
        return router
    }

    /// The Hummingbird application listening on `host:port`; `onRunning` gets the bound port.
    public func application(host: String, port: Int, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void)
        -> some ApplicationProtocol
    {
        let header = TimeAmount.milliseconds(Int64(settings.headerTimeout * 1000))
        let idle = TimeAmount.milliseconds(Int64(settings.idleTimeout * 1000))
        return Application(
            router: router(),
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionDeadlines(header: header, idle: idle)])),
            configuration: .init(address: .hostname(host, port: port), serverName: "soma",
                                 availableConnectionsDelegate: .maximum(settings.maxConnections, logger: logger)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
