import Foundation
import Testing
@testable import SomaChecker

@Suite struct ExampleTests {
    static var examples: [URL] {
        var folders: [URL] = []
        for root in [repositoryFolder.appendingPathComponent("examples"), sharedFolder?.appendingPathComponent("examples")].compactMap({ $0 }) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
            folders += names.sorted().map { root.appendingPathComponent($0) }.filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("app.cell").path) }
        }
        return folders
    }

    @Test func theRepositoryHasExamples() {
        #expect(!Self.examples.filter { !$0.path.contains("/shared/") }.isEmpty)
    }

    @Test(arguments: examples)
    func exampleChecksClean(_ folder: URL) throws {
        let outcome = try #require(SomaCheck.check(path: folder.appendingPathComponent("app.cell").path))
        #expect(!outcome.hasErrors, "\(CheckReport(outcome).text())")
        // Every property the example's soma.toml asks for was checked somewhere and holds.
        if !outcome.program.config.verify.isEmpty {
            let results = outcome.verifications.flatMap(\.results)
            #expect(!results.isEmpty)
            #expect(results.allSatisfy { $0.holds })
        }
        let v2 = folder.appendingPathComponent("v2.cell")
        if FileManager.default.fileExists(atPath: v2.path) {
            let swapped = try #require(SomaCheck.check(path: v2.path, against: folder.appendingPathComponent("app.cell").path))
            #expect(!swapped.hasErrors, "\(CheckReport(swapped).text())")
        }
    }
}
