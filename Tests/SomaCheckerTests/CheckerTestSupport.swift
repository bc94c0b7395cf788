import Foundation
import SomaDiagnostics
import Testing
@testable import SomaChecker

/// Error codes of a checked program, with the 1-based lines they point at.
func codes(_ source: String, config: String? = nil) -> [String] {
    let outcome = SomaCheck.check(source: source, config: config)
    return outcome.diagnostics.filter { $0.severity == .error }.map(\.code.rawValue)
}

func diagnostics(_ source: String, config: String? = nil) -> [(code: String, line: Int, message: String)] {
    let outcome = SomaCheck.check(source: source, config: config)
    return outcome.diagnostics.map { diagnostic in
        let line = outcome.sources.file(diagnostic.span.file)?.position(of: diagnostic.span.start).line ?? 0
        return (diagnostic.code.rawValue, line, diagnostic.message)
    }
}

/// `../shared` beside the repository, when it is there (CI always has it; a user's clone does not).
var sharedFolder: URL? {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let shared = repository.deletingLastPathComponent().appendingPathComponent("shared")
    return FileManager.default.fileExists(atPath: shared.appendingPathComponent("examples").path) ? shared : nil
}

var repositoryFolder: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// A temporary folder with the given files, removed afterwards.
func withFiles<T>(_ files: [String: String], _ body: (URL) throws -> T) rethrows -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soma-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for (name, text) in files {
        try? text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    return try body(folder)
}

/// A table-driven rule: the program must produce exactly these error codes.
func expectCodes(_ name: String, _ source: String, _ expected: [String]) {
    let found = codes(source)
    #expect(Set(found) == Set(expected), "\(name): \(diagnostics(source).map { "\($0.line): [\($0.code)] \($0.message)" })")
}
