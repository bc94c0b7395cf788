import Testing
@testable import SomaDiagnostics

@Suite struct DiagnosticsTests {
    @Test func positionsCountCharactersNotBytes() {
        let file = SourceFile(id: 0, path: "a.cell", text: "é = 1\n  \"ü\" x\nlast")
        let offset = Array(file.bytes).firstIndex(of: UInt8(ascii: "x"))!
        #expect(file.position(of: offset) == SourcePosition(line: 2, column: 7))
        #expect(file.position(of: file.bytes.count) == SourcePosition(line: 3, column: 5))
        #expect(file.lineText(2) == "  \"ü\" x")
        #expect(file.lineText(9) == "")
    }

    @Test func renderingHasLocationCodeLineCaretAndHint() {
        var sources = SourceMap()
        let file = sources.add(path: "app.cell", bytes: Array("cell C {\n  on f() { add(1) }\n}".utf8))
        let start = file.offset(ofLine: 2) + 11
        let diagnostic = Diagnostic.error(.arity, "'add' takes 2 arguments, got 1", at: SourceSpan(file: 0, start: start, end: start + 6), hint: "missing 'b'")
        #expect(DiagnosticRenderer(sources: sources).render(diagnostic) == """
            app.cell:2:12: error[arity]: 'add' takes 2 arguments, got 1
              |
            2 |   on f() { add(1) }
              |            ^^^^^^
              = hint: missing 'b'
            """)
        let json = DiagnosticRenderer(sources: sources).jsonObject(diagnostic)
        #expect(json.line == 2 && json.column == 12 && json.end == SourcePosition(line: 2, column: 18) && json.code == "arity")
    }

    @Test func controlCharactersAndLongLinesAreShownSafely() {
        let (line, length) = DiagnosticRenderer.displayLine("\u{1B}[31m\t" + String(repeating: "x", count: 500))
        #expect(!line.contains("\u{1B}"))
        #expect(length == 200)
    }

    @Test func theListIsBoundedAndSortsBySource() {
        var list = DiagnosticList(limit: 2)
        list.error(.syntax, "third", at: SourceSpan(file: 0, start: 30, end: 31))
        list.warning(.unreachableState, "first", at: SourceSpan(file: 0, start: 1, end: 2))
        list.error(.syntax, "dropped", at: SourceSpan(file: 0, start: 5, end: 6))
        #expect(list.sorted().map(\.message) == ["first", "third"])
        #expect(list.suppressed == 1)
        #expect(list.errorCount == 2)
        #expect(list.warningCount == 1)
    }
}
