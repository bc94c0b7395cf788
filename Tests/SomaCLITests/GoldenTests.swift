import Foundation
import Testing

/// Rendered diagnostics compared byte for byte with `Golden/*.expected`.
/// Run with SOMA_UPDATE_GOLDEN=1 to write the expected files anew (then read the diff before committing).
@Suite struct GoldenTests {
    static var folder: URL { SomaBinary.repository.appendingPathComponent("Tests/SomaCLITests/Golden") }

    static var cases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".cell") || FileManager.default.fileExists(atPath: folder.appendingPathComponent("\($0)/app.cell").path) }.sorted()
    }

    @Test(.enabled(if: SomaBinary.path != nil, "needs the soma binary: swift build"), arguments: cases)
    func rendering(_ name: String) throws {
        let isFolder = !name.hasSuffix(".cell")
        let workingFolder = isFolder ? Self.folder.appendingPathComponent(name) : Self.folder
        let result = try SomaBinary.run(["check", isFolder ? "app.cell" : name], in: workingFolder)
        let expectedFile = Self.folder.appendingPathComponent((isFolder ? name : String(name.dropLast(5))) + ".expected")
        let actual = "exit \(result.status)\n" + result.output + result.error
        if ProcessInfo.processInfo.environment["SOMA_UPDATE_GOLDEN"] == "1" {
            try actual.write(to: expectedFile, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: expectedFile, encoding: .utf8)
        #expect(actual == expected)
    }
}
