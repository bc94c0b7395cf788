import SomaDiagnostics
import Testing
@testable import SomaSyntax

@Suite struct LexerTests {
    func kinds(_ text: String) -> [TokenKind] {
        Lexer.tokenize(SourceFile(id: 0, path: "t.cell", text: text)).tokens.map(\.kind)
    }

    func errors(_ text: String) -> [Diagnostic] {
        Lexer.tokenize(SourceFile(id: 0, path: "t.cell", text: text)).diagnostics.items
    }

    @Test func numbersAndDurations() {
        #expect(kinds("42 1_000 3.14 2.5e-3 250ms 5s 10m 2h 1d 1.5s") == [
            .int(42), .int(1000), .float(3.14), .float(0.0025), .duration(250), .duration(5000), .duration(600_000),
            .duration(7_200_000), .duration(86_400_000), .duration(1500), .eof,
        ])
    }

    @Test func integerOverflowIsADiagnostic() {
        let found = errors("99999999999999999999")
        #expect(found.map(\.code) == [.invalidLiteral])
    }

    @Test func unknownDurationUnit() {
        #expect(errors("5x").map(\.code) == [.invalidLiteral])
    }

    @Test func stringEscapesAndInterpolation() {
        let tokens = kinds(#""a\n\"b\" \u{1F600} total: \(order.total)!""#)
        guard case .string(let literal) = tokens[0] else {
            Issue.record("expected a string, got \(tokens[0])")
            return
        }
        #expect(literal.segments.count == 3)
        #expect(literal.segments[0] == .text("a\n\"b\" 😀 total: "))
        #expect(literal.segments[2] == .text("!"))
    }

    @Test func unterminatedStringIsReported() {
        #expect(errors("\"open\nnext").map(\.code) == [.syntax])
    }

    @Test func lineBreaksEndStatementsUnlessTheLineContinues() {
        #expect(kinds("a\nb") == [.identifier("a"), .newline, .identifier("b"), .eof])
        #expect(kinds("a +\nb") == [.identifier("a"), .plus, .identifier("b"), .eof])
        #expect(kinds("f(a,\nb)") == [.identifier("f"), .leftParen, .identifier("a"), .comma, .identifier("b"), .rightParen, .eof])
        // A line ending in '>' closes a type: it ends the line.
        #expect(kinds("Option<T>\nx").contains(.newline))
    }

    @Test func commentsAreSkippedAndBlockCommentsNest() {
        #expect(kinds("a // note\n/* x /* y */ z */ b") == [.identifier("a"), .newline, .identifier("b"), .eof])
        #expect(errors("/* open").map(\.code) == [.syntax])
    }

    @Test func keywordsAndOperators() {
        #expect(kinds("cell on every Some None -> => == != <= >= && || | @ _") == [
            .keyword(.cell), .keyword(.on), .keyword(.every), .keyword(.some), .keyword(.none), .arrow, .fatArrow, .equal, .notEqual,
            .lessEqual, .greaterEqual, .andAnd, .orOr, .pipe, .at, .underscore, .eof,
        ])
    }

    @Test func binaryJunkIsOneDiagnosticPerRun() {
        let text = String(decoding: [0x00, 0x01, 0xFF, 0xFE, 0x20, 0x61], as: UTF8.self)
        #expect(errors(text).count == 1)
    }

    @Test func spansAreByteRanges() {
        let file = SourceFile(id: 0, path: "t.cell", text: "let π = \"é\"\nx")
        let tokens = Lexer.tokenize(file).tokens
        let x = tokens.first { $0.kind == .identifier("x") }!
        #expect(file.position(of: x.span.start) == SourcePosition(line: 2, column: 1))
    }
}
