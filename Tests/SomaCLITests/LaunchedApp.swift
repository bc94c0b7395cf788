import Foundation
import AsyncHTTPClient
import NIOCore
import Testing

/// A program launched with the real `soma` binary under a SOMA_HOME of its own, with HTTP and CLI helpers.
/// `finish()` kills what it started and removes its files; every test calls it, even when an expectation failed.
final class LaunchedApp: @unchecked Sendable {
    let folder: URL
    let somaHome: String
    let name: String
    private(set) var port = 0
    /// More environment for every soma command (and so for the supervisor and the providers it runs).
    var environment: [String: String] = [:]

    init(_ source: String, name: String = "app", config: String? = nil) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("soma-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        somaHome = folder.appendingPathComponent("home").path
        self.name = name
        try source.write(to: folder.appendingPathComponent("\(name).cell"), atomically: true, encoding: .utf8)
        if let config = Self.withTestCache(config) {
            try config.write(to: folder.appendingPathComponent("soma.toml"), atomically: true, encoding: .utf8)
        }
    }

    /// The test script's second pass (`SOMA_TEST_CACHE_BYTES`) runs every app with a cache far smaller than its data.
    static func withTestCache(_ config: String?) -> String? {
        guard let bytes = ProcessInfo.processInfo.environment["SOMA_TEST_CACHE_BYTES"], !(config ?? "").contains("[memory]") else { return config }
        return (config ?? "") + "\n[memory]\ncache = \(bytes)\n"
    }

    @discardableResult
    func soma(_ arguments: String...) async throws -> SomaBinary.Result {
        try await soma(arguments: arguments)
    }

    func soma(arguments: [String]) async throws -> SomaBinary.Result {
        try await SomaBinary.launchProcess(arguments, in: folder, environment: environment.merging(["SOMA_HOME": somaHome]) { $1 })
    }

    /// `soma launch NAME.cell` (or `file`); reads the port from `soma status --json`.
    @discardableResult
    func launch(_ extra: [String] = [], file: String? = nil) async throws -> SomaBinary.Result {
        let result = try await soma(arguments: ["launch", file ?? "\(name).cell"] + extra)
        if result.status == 0 { port = Int(try await status()["port"] ?? "") ?? 0 }
        return result
    }

    /// `soma status --json`, each value as text for comparing (null values left out). That the output is
    /// typed (numbers as numbers) is the JSON Schema test's to check.
    func status() async throws -> [String: String] {
        let result = try await soma("status", "--json")
        let object = (try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]) ?? [:]
        return object.compactMapValues { value in
            if value is NSNull { return nil }
            if let text = value as? String { return text }
            return "\(value)"
        }
    }

    var appHome: String { "\(somaHome)/apps/\(name)" }

    /// Kills every soma process of this app (whatever state a failed test left it in) and removes its files.
    /// With SOMA_TEST_KEEP_LOGS=FOLDER, the app's log is copied there first (to read after a failed run).
    /// The end of the app's log, for a failed expectation to show what the supervisor and its processes said.
    var logTail: String {
        let log = (try? String(contentsOfFile: "\(appHome)/logs/app.log", encoding: .utf8)) ?? "(no log)"
        let lines = log.split(separator: "\n").filter { !$0.hasSuffix("the database system is starting up") }
        return "app.log, last lines:\n" + lines.suffix(60).joined(separator: "\n")
    }

    func finish() {
        let home = appHome
        let clusters = postgresClusters
        for process in Self.processes(under: home) { kill(process, SIGKILL) }
        if let keep = ProcessInfo.processInfo.environment["SOMA_TEST_KEEP_LOGS"] {
            try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            try? FileManager.default.copyItem(atPath: "\(home)/logs/app.log", toPath: "\(keep)/\(name)-\(UUID().uuidString.prefix(8)).log")
        }
        // A postgres database's cluster lives outside the home when the tests run as root.
        for cluster in clusters {
            for process in Self.processes(under: cluster) { kill(process, SIGKILL) }
            try? FileManager.default.removeItem(atPath: cluster)
        }
        try? FileManager.default.removeItem(at: folder)
    }

    /// The folders of this app's postgres clusters, from the notes the provider keeps in `server.json`.
    var postgresClusters: [String] {
        let resources = "\(appHome)/resources"
        return ((try? FileManager.default.contentsOfDirectory(atPath: resources)) ?? []).compactMap { name in
            guard let data = FileManager.default.contents(atPath: "\(resources)/\(name)/server.json"),
                  let notes = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return notes["root"] as? String
        }
    }

    /// soma processes whose command line names this home.
    static func processes(under home: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let commandLine = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8) else { return nil }
            return commandLine.contains(home) ? pid : nil
        }
    }

    // MARK: - HTTP

    struct HTTPResult {
        var status: Int
        var body: String
    }

    /// SwiftNIO's client, not URLSession: FoundationNetworking's crashes in libdispatch when a server dies under
    /// it (swift-corelibs-foundation #4791), and these tests kill servers on purpose.
    static var client: HTTPClient { .shared }

    func post(_ path: String, _ body: String) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        return try await Self.send(request)
    }

    func get(_ path: String) async throws -> HTTPResult {
        try await Self.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"))
    }

    static func send(_ request: HTTPClientRequest) async throws -> HTTPResult {
        let response = try await client.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 64 << 20)
        return HTTPResult(status: Int(response.status.code), body: String(buffer: body))
    }

    /// Polls /healthz until it answers 200; gives the seconds it took, or nil past the deadline.
    func waitUntilServing(within seconds: Double) async -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if let health = try? await get("/healthz"), health.status == 200 { return Date().timeIntervalSince(start) }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }
}
