import Foundation
import SomaDiagnostics
import SomaSyntax
import Testing
@testable import SomaChecker

/// Feeds mutated programs to the checker in-process: random byte edits, token edits and truncations of the
/// examples. Every one must end in a report (a crash kills the test process; a hang trips the time bound).
@Suite struct RobustnessTests {
    /// SplitMix64: reproducible, so a failure names the seed that finds it again.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static var corpus: [String] {
        var sources: [String] = []
        for folder in ExampleTests.examples {
            for name in ["app.cell", "v2.cell"] {
                if let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) { sources.append(text) }
            }
        }
        return sources
    }

    static let fragments = ["{", "}", "(", ")", "[", "]", "<", ">", "->", "=>", "|", "\"", "\\(", "fn", "match", "cell", "type",
                            "@version(", "migrate", "state", "::", ",", ";", "\n", "1e999", "99999999999999999999", "/*", "//", "\u{0}", "é"]

    static func mutate(_ source: String, using generator: inout Generator) -> [UInt8] {
        var bytes = Array(source.utf8)
        switch generator.next() % 4 {
        case 0: // byte edits
            for _ in 0..<(1 + Int(generator.next() % 8)) where !bytes.isEmpty {
                let index = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: index)
                }
            }
        case 1: // token edits: delete, duplicate or swap tokens, or splice in a fragment
            let file = SourceFile(id: 0, path: "m.cell", bytes: bytes)
            var pieces = Lexer.tokenize(file).tokens.dropLast().map { Array(bytes[$0.span.start..<$0.span.end]) }
            for _ in 0..<(1 + Int(generator.next() % 6)) where !pieces.isEmpty {
                let index = Int(generator.next() % UInt64(pieces.count))
                switch generator.next() % 4 {
                case 0: pieces.remove(at: index)
                case 1: pieces.insert(pieces[index], at: index)
                case 2: pieces.swapAt(index, Int(generator.next() % UInt64(pieces.count)))
                default: pieces.insert(Array(fragments[Int(generator.next() % UInt64(fragments.count))].utf8), at: index)
                }
            }
            bytes = Array(pieces.joined(separator: [UInt8(ascii: " ")]))
        case 2: // truncation
            bytes = Array(bytes.prefix(Int(generator.next() % UInt64(max(1, bytes.count)))))
        default: // a region repeated: deep nesting, long lines
            guard !bytes.isEmpty else { break }
            let start = Int(generator.next() % UInt64(bytes.count))
            let length = min(bytes.count - start, 1 + Int(generator.next() % 40))
            let region = bytes[start..<(start + length)]
            let copies = Array(repeating: region, count: 1 + Int(generator.next() % 300)).flatMap { $0 }
            bytes.insert(contentsOf: copies, at: start)
        }
        return bytes
    }

    @Test func tenThousandMutantsEndInDiagnostics() throws {
        let corpus = Self.corpus
        try #require(!corpus.isEmpty)
        var generator = Generator(state: 0x50AA_C311)
        var slowest: (seconds: Double, index: Int) = (0, -1)
        var rejected = 0
        let clock = ContinuousClock()
        for index in 0..<10_000 {
            let source = corpus[index % corpus.count]
            let bytes = Self.mutate(source, using: &generator)
            let started = clock.now
            var sources = SourceMap()
            let program = ProgramLoader().load(bytes: bytes, path: "/nonexistent/mutant-\(index).cell", sources: &sources, readConfig: false)
            let outcome = SomaCheck.check(program, against: nil, sources: sources)
            _ = CheckReport(outcome).text()
            let elapsed = clock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            if seconds > slowest.seconds { slowest = (seconds, index) }
            if outcome.hasErrors { rejected += 1 }
            #expect(seconds < 5, "mutant \(index) took \(seconds) s")
        }
        // Nearly every mutant is wrong somewhere; the checker must have said so.
        #expect(rejected > 5_000)
        print("robustness: 10000 mutants, \(rejected) rejected with diagnostics, slowest \(String(format: "%.3f", slowest.seconds)) s (#\(slowest.index))")
    }

    /// Named, so the test log shows the name rather than megabytes of input.
    static func hugeInput(_ name: String) -> String {
        switch name {
        case "a 10 MB line of additions":
            return "cell C { face { signal f() -> Int } on f() { 1" + String(repeating: " + 1", count: 2_500_000) + " } }"
        case "an unterminated 1 MB string":
            return "fn f() -> String { \"" + String(repeating: "x", count: 1_000_000)
        case "100,000 open brackets":
            return String(repeating: "{[(", count: 100_000)
        case "200,000 cell keywords":
            return String(repeating: "cell ", count: 200_000)
        default:
            return "type T = " + String(repeating: "List<", count: 50_000) + "Int" + String(repeating: ">", count: 50_000)
        }
    }

    @Test(arguments: ["a 10 MB line of additions", "an unterminated 1 MB string", "100,000 open brackets", "200,000 cell keywords", "a type nested 50,000 deep"])
    func hugeInputsEndInDiagnostics(_ name: String) {
        let outcome = SomaCheck.check(source: Self.hugeInput(name))
        #expect(outcome.hasErrors)
        #expect(outcome.diagnostics.count < 600)
    }
}
