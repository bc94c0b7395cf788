import Foundation
import SomaChecker
import SomaRuntime
import SomaStorage
import Testing

/// A program checked from source and run on a real state database in a temporary folder.
final class RuntimeHarness: Sendable {
    let folder: URL
    let engine: TurnEngine
    let dispatcher: FaceDispatcher
    let store: StateStore

    convenience init(_ source: String, folder existing: URL? = nil, cacheBytes: Int? = nil) async throws {
        let outcome = SomaCheck.check(source: source)
        let errors = outcome.diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else {
            Issue.record("program does not check: \(errors.map(\.message))")
            throw HarnessError.doesNotCheck
        }
        try await self.init(program: RuntimeProgram(outcome: outcome), folder: existing, cacheBytes: cacheBytes)
    }

    /// A program already checked (against an older version, say), on the state database in `folder` if given.
    init(program: RuntimeProgram, folder existing: URL? = nil, cacheBytes: Int? = nil) async throws {
        folder = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("soma-runtime-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try StateStore(path: folder.appendingPathComponent("state.sqlite").path)
        engine = try TurnEngine(program: program, store: store, cacheBytes: cacheBytes ?? Self.cacheBytes)
        dispatcher = FaceDispatcher(engine: engine)
        try await engine.start()
    }

    /// The cache every harness runs with: the default, or a tiny one (`SOMA_TEST_CACHE_BYTES`, as the test script's
    /// second pass sets it) so that entries leave memory in every test.
    static var cacheBytes: Int {
        ProcessInfo.processInfo.environment["SOMA_TEST_CACHE_BYTES"].flatMap(Int.init) ?? CacheBudget.defaultBytes
    }

    /// Calls `cell.signal` with a JSON body; gives the status and the body as text.
    func send(_ target: String, _ body: String = "{}") async -> (status: Int, body: String) {
        let parts = target.split(separator: ".").map(String.init)
        let response = await dispatcher.call(cell: parts[0], signal: parts[1], body: Array(body.utf8))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    /// Every stored value as "version json", in key order.
    func storedValues() throws -> [String] {
        try store.allValues().map { "\($0.version) \($0.json)" }
    }

    func close() {
        engine.stop()
        store.close()
    }

    enum HarnessError: Error { case doesNotCheck }
}
