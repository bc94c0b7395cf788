import Foundation
import Testing

@Suite(.enabled(if: SomaBinary.path != nil, "needs the soma binary: swift build"))
struct CommandLineTests {
    let golden = GoldenTests.folder

    @Test func exitCodes() throws {
        let ok = try SomaBinary.run(["check", "app.cell"], in: SomaBinary.repository.appendingPathComponent("examples/shop"))
        #expect(ok.status == 0)
        let failed = try SomaBinary.run(["check", "type_errors.cell"], in: golden)
        #expect(failed.status == 1)
        let missing = try SomaBinary.run(["check", "no-such-file.cell"], in: golden)
        #expect(missing.status == 2)
        #expect(missing.error.contains("cannot read 'no-such-file.cell'"))
        let badFlag = try SomaBinary.run(["check", "--no-such-flag", "type_errors.cell"], in: golden)
        #expect(badFlag.status == 2)
        let badCommand = try SomaBinary.run(["frobnicate"], in: golden)
        #expect(badCommand.status == 2)
        let help = try SomaBinary.run(["--help"], in: golden)
        #expect(help.status == 0)
        let version = try SomaBinary.run(["--version"], in: golden)
        #expect(version.output.hasPrefix("0."))
    }

    /// SOMA_HOME's default is `$HOME/.soma`, whatever the password database says the account's home is.
    @Test func somaHomeFollowsHOME() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soma-home-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try SomaBinary.run(["apps"], in: folder, environment: ["HOME": folder.path, "SOMA_HOME": ""])
        #expect(result.output.contains("no apps under \(folder.path)/.soma"), "\(result.output)")
    }

    @Test func jsonDiagnosticsCarryEveryField() throws {
        let result = try SomaBinary.run(["check", "--json", "type_errors.cell"], in: golden)
        #expect(result.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(document["ok"] as? Bool == false)
        let diagnostics = try #require(document["diagnostics"] as? [[String: Any]])
        #expect(!diagnostics.isEmpty)
        for diagnostic in diagnostics {
            for key in ["code", "severity", "file", "line", "column", "end", "message"] {
                #expect(diagnostic[key] != nil, "missing \(key)")
            }
        }
        #expect(diagnostics.contains { $0["hint"] is String })
    }

    @Test func jsonReportsVerifiedCells() throws {
        let result = try SomaBinary.run(["check", "--json", "app.cell"], in: SomaBinary.repository.appendingPathComponent("examples/shop"))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let cells = try #require(document["cells"] as? [[String: Any]])
        #expect(cells.first?["name"] as? String == "Shop")
        let machines = try #require(cells.first?["machines"] as? [[String: Any]])
        let properties = try #require(machines.first?["properties"] as? [[String: Any]])
        #expect(properties.count == 3)
        #expect(properties.allSatisfy { $0["holds"] as? Bool == true })
    }

    @Test func againstTypesMigrationsWithTheOldShapes() throws {
        let shop = SomaBinary.repository.appendingPathComponent("examples/shop")
        let result = try SomaBinary.run(["check", "v2.cell", "--against", "app.cell"], in: shop)
        #expect(result.status == 0, "\(result.output)")
    }
}
