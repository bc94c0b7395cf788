import SomaRuntime
import Testing

@Suite struct JSONParserTests {
    @Test func readsWhatRFC8259Allows() throws {
        #expect(try JSONValue.parse(#" {"a": [1, -2.5e3, true, false, null, "x\n\u00e9\ud83d\ude00"]} "#)
                == .object(["a": .array([.int(1), .double(-2500), .bool(true), .bool(false), .null, .string("x\né😀")])]))
        #expect(try JSONValue.parse("9223372036854775807") == .int(Int.max))
        #expect(try JSONValue.parse("9223372036854775808") == .largeInteger("9223372036854775808"))
        #expect(try JSONValue.parse("-9223372036854775809") == .largeInteger("-9223372036854775809"))
        #expect(try JSONValue.parse("1e2") == .double(100))
        #expect(try JSONValue.parse(#""\"\\\/\b\f\r\t""#) == .string("\"\\/\u{8}\u{c}\r\t"))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "{\"a\": 1,}", "01", "1.", "-", "1e", "tru", "\"abc", "\"\u{1}\"", "\"\\x\"",
        "\"\\ud800\"", "[1] 2", "{\"a\": 1, \"a\": 2}", String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func refusesMalformedText(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
    }
}
