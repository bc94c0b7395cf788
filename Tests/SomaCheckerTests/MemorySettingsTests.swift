import Testing
@testable import SomaChecker

/// soma.toml `[memory] cache`: a size, or a config error at its line.
@Suite struct MemorySettingsTests {
    let source = "cell C { face { signal f() -> Int } on f() { 1 } }\n"

    @Test func aSizeIsReadInBytes() {
        for (text, bytes) in [("\"64MB\"", 64 << 20), ("\"512 KB\"", 512 << 10), ("\"2gb\"", 2 << 30), ("65536", 65536), ("\"4096B\"", 4096)] {
            let outcome = SomaCheck.check(source: source, config: "[memory]\ncache = \(text)\n")
            #expect(outcome.diagnostics.isEmpty, "\(text): \(outcome.diagnostics.map(\.message))")
            #expect(outcome.program.config.cacheBytes == bytes, "\(text)")
        }
        #expect(SomaCheck.check(source: source).program.config.cacheBytes == nil, "the worker's default unless configured")
    }

    @Test func anythingElseIsAConfigErrorAtItsLine() {
        for text in ["\"lots\"", "\"64 TB\"", "\"-1MB\"", "100", "true", "\"MB\"", "\"99999999999999GB\""] {
            let found = diagnostics(source, config: "[app]\nname = \"c\"\n[memory]\ncache = \(text)\n")
            #expect(found.map(\.code) == ["config"] && found.first?.line == 4 && found.first?.message.contains("memory.cache") == true, "\(text): \(found)")
        }
        let unknown = diagnostics(source, config: "[memory]\nlimit = 5\n")
        #expect(unknown.first?.message.contains("unknown setting 'limit' in [memory]") == true, "\(unknown)")
    }
}
