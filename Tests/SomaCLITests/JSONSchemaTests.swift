import Foundation
import Subprocess
import Testing

/// Every command's `--json` against its JSON Schema in docs/schemas, validated by Python's jsonschema (which
/// scripts/setup.sh installs) on real output of a running shop: numbers are numbers, absent values null, times
/// RFC 3339.
@Suite struct JSONSchemaTests {
    static let schemas = SomaBinary.repository.appendingPathComponent("docs/schemas")

    /// nil when it conforms; otherwise what the validator said.
    static func violations(of output: String, schema: String, lines: Bool = false) async throws -> String? {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("soma-json-\(UUID().uuidString.prefix(8)).json")
        try output.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = SomaBinary.repository.appendingPathComponent("scripts/validate-json.py").path
        let result = try await Subprocess.run(.name("python3"), arguments: Arguments([script] + (lines ? ["--lines"] : []) + [schemas.appendingPathComponent("\(schema).schema.json").path, file.path]),
                                              output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        guard !result.terminationStatus.isSuccess else { return nil }
        return result.standardOutput + result.standardError
    }

    @Test func everyJSONOutputConformsToItsSchema() async throws {
        let app = try LaunchedApp(LaunchEndToEndTests.shop, name: "shop")
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        #expect(try await app.post("/Shop/place_order", LaunchEndToEndTests.order).status == 200)
        let outputs: [(schema: String, arguments: [String])] = [
            ("status", ["status", "--json"]),
            ("resources-list", ["resources", "list", "--json"]),
            ("resources-show", ["resources", "show", "outbox", "--json"]),
            ("resources-show", ["resources", "show", "shop", "--json"]),
            ("resources-dead-letters", ["resources", "dead-letters", "outbox", "--json"]),
            ("apps", ["apps", "--json"]),
            ("versions", ["versions", "--json"]),
            ("swap-plan", ["swap", "v2.cell", "--dry-run", "--json"]),
            ("repair-list", ["repair", "list", "--json"]),
        ]
        try SwapEndToEndTests.example("v2.cell").write(to: app.folder.appendingPathComponent("v2.cell"), atomically: true, encoding: .utf8)
        for (schema, arguments) in outputs {
            let result = try await app.soma(arguments: arguments)
            #expect(result.status == 0, "\(arguments): \(result.error)")
            let violations = try await Self.violations(of: result.output, schema: schema)
            #expect(violations == nil, "soma \(arguments.joined(separator: " ")): \(violations ?? "")\n\(result.output)")
        }
        let logs = try await app.soma("logs", "-n", "20", "--json")
        #expect(try await Self.violations(of: logs.output, schema: "logs-line", lines: true) == nil, "\(logs.output)")
        // The fields the issue named: numbers, not text.
        let status = try #require(try JSONSerialization.jsonObject(with: Data(try await app.soma("status", "--json").output.utf8)) as? [String: Any])
        #expect(status["worker_pid"] is Int && status["restarts"] is Int && status["failure"] is NSNull, "\(status)")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(try await app.soma("resources", "list", "--json").output.utf8)) as? [[String: Any]])
        #expect(listed.first { $0["name"] as? String == "outbox" }?["pid"] is Int, "\(listed)")

        #expect(try await app.soma("stop").status == 0)
        let stopped = try await app.soma("status", "--json")
        #expect(stopped.status == 3)
        #expect(try await Self.violations(of: stopped.output, schema: "status") == nil, "\(stopped.output)")
    }

    /// `soma check --json` of a program that checks (cells, machines, resources) and of ones that do not
    /// (diagnostics with and without a place or a hint): absent values are null, never left out.
    @Test func checkJSONConformsToItsSchema() async throws {
        let golden = SomaBinary.repository.appendingPathComponent("Tests/SomaCLITests/Golden")
        let runs: [(folder: URL, file: String)] = [
            (SomaBinary.repository.appendingPathComponent("examples/shop"), "app.cell"),
            (golden, "type_errors.cell"), (golden, "syntax_errors.cell"), (golden.appendingPathComponent("verify_failed"), "app.cell"),
        ]
        for (folder, file) in runs {
            let result = try SomaBinary.run(["check", "--json", file], in: folder)
            let violations = try await Self.violations(of: result.output, schema: "check")
            #expect(violations == nil, "soma check --json \(file): \(violations ?? "")\n\(result.output)")
        }
        let shop = try SomaBinary.run(["check", "--json", "app.cell"], in: runs[0].folder)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(shop.output.utf8)) as? [String: Any])
        let cell = try #require((document["cells"] as? [[String: Any]])?.first)
        let scale = try #require(cell["scale"] as? [String: Any])
        #expect(scale["quorum"] is NSNull && scale["shard"] is NSNull && scale["local_slots"] is [Any], "\(scale)")
    }

    /// The validator rejects what the schemas forbid: this test can fail.
    @Test func theValidatorRefusesTextForNumbersAndMissingFields() async throws {
        let old = #"[{"name":"outbox","state":"running","version":"1","port":"8080","home":"/h"}]"#
        let violations = try #require(try await Self.violations(of: old, schema: "apps"))
        #expect(violations.contains("'1' is not of type"), "\(violations)")
        let typed = #"[{"name":"a","state":"running","version":1,"port":null,"home":"/h"}]"#
        #expect(try await Self.violations(of: typed, schema: "apps") == nil)
        let noTime = #"[{"id":"m","version":1,"body":"{}","attempts":1,"died_at":"yesterday","last_error":null}]"#
        #expect(try await Self.violations(of: noTime, schema: "resources-dead-letters")?.contains("date-time") == true)
    }
}
