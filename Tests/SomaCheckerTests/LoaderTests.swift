import Foundation
import Testing
@testable import SomaChecker

@Suite struct LoaderTests {
    @Test func useIncludesFilesOnceAndReportsTheirDiagnosticsWithTheirPaths() throws {
        try withFiles([
            "app.cell": "use \"lib/billing.cell\"\ncell Shop { face { signal buy() -> Bool }\n  on buy() { call Billing.charge(1.0) } }\n",
            "lib": "",
        ]) { folder in
            try FileManager.default.removeItem(at: folder.appendingPathComponent("lib"))
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("lib"), withIntermediateDirectories: true)
            try "use \"../app.cell\"\ncell Billing { face { signal charge(amount: Float) -> Bool }\n  on charge(amount: Float) { amount > \"0\" } }\n"
                .write(to: folder.appendingPathComponent("lib/billing.cell"), atomically: true, encoding: .utf8)
            let outcome = try #require(SomaCheck.check(path: folder.appendingPathComponent("app.cell").path))
            #expect(outcome.sources.files.count == 2, "the cycle app → billing → app loads each file once")
            #expect(outcome.diagnostics.map(\.code.rawValue) == ["type-mismatch"])
            let file = try #require(outcome.sources.file(outcome.diagnostics[0].span.file))
            #expect(file.path.hasSuffix("lib/billing.cell"))
        }
    }

    @Test func aMissingUseIsAnIOError() throws {
        try withFiles(["app.cell": "use \"nowhere.cell\"\n"]) { folder in
            let outcome = try #require(SomaCheck.check(path: folder.appendingPathComponent("app.cell").path))
            #expect(outcome.diagnostics.map(\.code.rawValue) == ["io"])
        }
    }

    @Test func somaTomlBesideTheProgramIsRead() throws {
        try withFiles(["app.cell": "cell C { state { a -> b -> a; a -> c } }\n", "soma.toml": "[verify]\neventually = [\"c\"]\ndeadlock_free = true\n"]) { folder in
            let outcome = try #require(SomaCheck.check(path: folder.appendingPathComponent("app.cell").path))
            #expect(outcome.verifications.first?.results.map(\.holds) == [true, false])
        }
    }
}
