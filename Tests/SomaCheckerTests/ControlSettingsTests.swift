import Testing
import SomaProtocol
@testable import SomaChecker

/// soma.toml `[control] listen`: an address, or a config error at its line.
@Suite struct ControlSettingsTests {
    let source = "cell C { face { signal f() -> Int } on f() { 1 } }\n"

    @Test func anAddressIsReadAsATCPEndpoint() {
        for (text, host, port) in [("127.0.0.1:7470", "127.0.0.1", 7470), ("[::1]:80", "::1", 80), ("0.0.0.0:65535", "0.0.0.0", 65535)] {
            let outcome = SomaCheck.check(source: source, config: "[control]\nlisten = \"\(text)\"\n")
            #expect(outcome.diagnostics.isEmpty, "\(text)")
            #expect(outcome.program.config.control.listen == .tcp(host: host, port: port))
        }
        #expect(SomaCheck.check(source: source).program.config.control.listen == nil, "nothing listens unless configured")
    }

    @Test func anythingElseIsAConfigErrorAtItsLine() {
        for text in ["\"7470\"", "\"localhost\"", "\"host:0\"", "\"host:70000\"", "\"::1:80\"", "7470"] {
            let found = diagnostics(source, config: "[app]\nname = \"c\"\n[control]\nlisten = \(text)\n")
            #expect(found.map(\.code) == ["config"] && found.first?.line == 4 && found.first?.message.contains("control.listen") == true, "\(text): \(found)")
        }
        let unknown = diagnostics(source, config: "[control]\nport = 7470\n")
        #expect(unknown.first?.message.contains("unknown setting 'port' in [control]") == true, "\(unknown)")
    }
}
