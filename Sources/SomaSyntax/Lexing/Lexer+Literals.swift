import SomaDiagnostics

extension Lexer {
    static let durationUnits: [String: Double] = ["ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]

    mutating func lexNumber() {
        let start = index
        var digits = ""
        var isFloat = false
        func takeDigits(_ lexer: inout Lexer) {
            while lexer.index < lexer.end {
                let byte = lexer.bytes[lexer.index]
                if lexer.isDigit(byte) { digits.append(Character(UnicodeScalar(byte))) } else if byte != UInt8(ascii: "_") { break }
                lexer.index += 1
            }
        }
        takeDigits(&self)
        if index < end, bytes[index] == UInt8(ascii: "."), let after = peek(1), isDigit(after) {
            isFloat = true
            digits.append(".")
            index += 1
            takeDigits(&self)
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            var look = index + 1
            if look < end, bytes[look] == UInt8(ascii: "+") || bytes[look] == UInt8(ascii: "-") { look += 1 }
            if look < end, isDigit(bytes[look]) {
                isFloat = true
                digits += String(decoding: bytes[index..<look], as: UTF8.self)
                index = look
                takeDigits(&self)
            }
        }
        // A unit suffix makes a duration: 250ms, 5s, 1.5h.
        let suffixStart = index
        while index < end && isIdentifierContinue(bytes[index]) { index += 1 }
        if index > suffixStart {
            let suffix = String(decoding: bytes[suffixStart..<index], as: UTF8.self)
            guard let unit = Self.durationUnits[suffix], let amount = Double(digits) else {
                diagnostics.error(.invalidLiteral, "'\(suffix)' is not a duration unit", at: span(start, index), hint: "durations end in ms, s, m, h or d")
                emit(.invalid, from: start, to: index)
                return
            }
            let millis = amount * unit
            guard millis.isFinite, millis < 9.2e18 else {
                diagnostics.error(.invalidLiteral, "duration is too large", at: span(start, index))
                emit(.invalid, from: start, to: index)
                return
            }
            emit(.duration(Int(millis.rounded())), from: start, to: index)
            return
        }
        if isFloat {
            guard let value = Double(digits), value.isFinite else {
                diagnostics.error(.invalidLiteral, "float literal is out of range", at: span(start, index))
                emit(.invalid, from: start, to: index)
                return
            }
            emit(.float(value), from: start, to: index)
        } else {
            guard let value = Int(digits) else {
                diagnostics.error(.invalidLiteral, "integer literal does not fit in 64 bits", at: span(start, index),
                                  hint: "Int is 64-bit signed: at most 9223372036854775807")
                emit(.invalid, from: start, to: index)
                return
            }
            emit(.int(value), from: start, to: index)
        }
    }

    mutating func lexString() {
        let start = index
        index += 1
        var segments: [StringLiteral.Segment] = []
        var text: [UInt8] = []
        func flush() {
            if !text.isEmpty { segments.append(.text(String(decoding: text, as: UTF8.self))); text.removeAll() }
        }
        while true {
            guard index < end, bytes[index] != UInt8(ascii: "\n") else {
                diagnostics.error(.syntax, "unterminated string", at: span(start, min(start + 1, end)), hint: "close it with '\"' on the same line")
                emit(.invalid, from: start, to: index)
                return
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                break
            }
            if byte != UInt8(ascii: "\\") {
                text.append(byte)
                index += 1
                continue
            }
            let escapeStart = index
            index += 1
            guard index < end else { continue }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "n"): text.append(10)
            case UInt8(ascii: "t"): text.append(9)
            case UInt8(ascii: "r"): text.append(13)
            case UInt8(ascii: "0"): text.append(0)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "'"): text.append(escaped)
            case UInt8(ascii: "u"): lexUnicodeEscape(from: escapeStart, into: &text)
            case UInt8(ascii: "("):
                flush()
                let inner = index
                if let close = matchingParen(from: inner) {
                    segments.append(.interpolation(span(inner, close)))
                    index = close + 1
                } else {
                    diagnostics.error(.syntax, "unterminated interpolation", at: span(escapeStart, index), hint: "close it with ')'")
                    while index < end && bytes[index] != UInt8(ascii: "\n") { index += 1 }
                    emit(.invalid, from: start, to: index)
                    return
                }
            default:
                diagnostics.error(.invalidLiteral, "unknown escape '\\\(Character(UnicodeScalar(escaped)))'", at: span(escapeStart, index),
                                  hint: "escapes are \\n \\t \\r \\0 \\\" \\\\ \\u{…} and \\( … )")
            }
        }
        flush()
        emit(.string(StringLiteral(segments: segments)), from: start, to: index)
    }

    mutating func lexUnicodeEscape(from escapeStart: Int, into text: inout [UInt8]) {
        guard index < end, bytes[index] == UInt8(ascii: "{") else {
            diagnostics.error(.invalidLiteral, "expected '{' after \\u", at: span(escapeStart, index))
            return
        }
        let hexStart = index + 1
        var close = hexStart
        while close < end && close - hexStart <= 8 && bytes[close] != UInt8(ascii: "}") && bytes[close] != UInt8(ascii: "\"") { close += 1 }
        guard close < end, bytes[close] == UInt8(ascii: "}"),
              let value = UInt32(String(decoding: bytes[hexStart..<close], as: UTF8.self), radix: 16),
              let scalar = UnicodeScalar(value) else {
            index = min(close + 1, end)
            diagnostics.error(.invalidLiteral, "invalid unicode escape", at: span(escapeStart, index), hint: "write \\u{1F600}: 1 to 8 hex digits of a valid scalar")
            return
        }
        index = close + 1
        text.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    /// The offset of the ')' closing an interpolation, skipping nested parentheses and strings; nil at end of line.
    func matchingParen(from start: Int) -> Int? {
        var depth = 1
        var position = start
        var inString = false
        while position < end && bytes[position] != UInt8(ascii: "\n") {
            let byte = bytes[position]
            if inString {
                if byte == UInt8(ascii: "\\") { position += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "(") {
                depth += 1
            } else if byte == UInt8(ascii: ")") {
                depth -= 1
                if depth == 0 { return position }
            }
            position += 1
        }
        return nil
    }
}
