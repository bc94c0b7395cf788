import Foundation
import Testing
@testable import SomaChecker

/// docs/checker.md promises that each of its examples produces the code it documents.
@Suite struct CheckerDocumentationTests {
    struct Example: CustomStringConvertible, Sendable {
        var code: String
        var source: String
        var description: String { code }
    }

    static var examples: [Example] {
        guard let text = try? String(contentsOf: repositoryFolder.appendingPathComponent("docs/checker.md"), encoding: .utf8) else { return [] }
        var result: [Example] = []
        var code: String?
        var block: [String]?
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("### `") {
                code = String(line.dropFirst(5).prefix { $0 != "`" })
            } else if line == "```cell" {
                block = []
            } else if line == "```", let lines = block {
                if let code { result.append(Example(code: code, source: lines.joined(separator: "\n"))) }
                block = nil
            } else if block != nil {
                block?.append(line)
            }
        }
        return result
    }

    @Test func everyCodeIsDocumented() throws {
        let text = try String(contentsOf: repositoryFolder.appendingPathComponent("docs/checker.md"), encoding: .utf8)
        let declared = try String(contentsOf: repositoryFolder.appendingPathComponent("Sources/SomaDiagnostics/DiagnosticCode.swift"), encoding: .utf8)
        let codes = declared.components(separatedBy: "DiagnosticCode(\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(codes.count > 30)
        for code in codes {
            #expect(text.contains("### `\(code)`"), "docs/checker.md does not document \(code)")
        }
    }

    @Test(arguments: examples)
    func exampleProducesItsCode(_ example: Example) {
        let found = SomaCheck.check(source: example.source).diagnostics.map(\.code.rawValue)
        #expect(found.contains(example.code), "got \(found)")
    }
}
