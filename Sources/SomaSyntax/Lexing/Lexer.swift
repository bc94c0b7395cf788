import SomaDiagnostics

/// Turns source bytes into tokens. Never fails: what it cannot read becomes a diagnostic and an `.invalid` token.
public struct Lexer {
    let bytes: [UInt8]
    let file: Int
    var index: Int
    let end: Int
    public internal(set) var diagnostics = DiagnosticList()
    var tokens: [Token] = []
    var sawNewline = false

    public init(file: SourceFile) {
        self.init(bytes: file.bytes, file: file.id, range: 0..<file.bytes.count)
    }

    /// Lexes part of a file: used for the expressions inside string interpolations.
    public init(bytes: [UInt8], file: Int, range: Range<Int>) {
        self.bytes = bytes
        self.file = file
        self.index = range.lowerBound
        self.end = min(range.upperBound, bytes.count)
    }

    public static func tokenize(_ file: SourceFile) -> (tokens: [Token], diagnostics: DiagnosticList) {
        var lexer = Lexer(file: file)
        return (lexer.run(), lexer.diagnostics)
    }

    public mutating func run() -> [Token] {
        tokens.reserveCapacity((end - index) / 4)
        while true {
            skipTrivia()
            guard index < end else { break }
            lexToken()
        }
        emit(.eof, from: end, to: end)
        return tokens
    }

    // MARK: - Trivia

    mutating func skipTrivia() {
        while index < end {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "\n"):
                newline(at: index)
                index += 1
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "/"):
                while index < end && bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
                skipBlockComment()
            default:
                return
            }
        }
    }

    mutating func skipBlockComment() {
        let start = index
        var depth = 0
        while index < end {
            if bytes[index] == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                depth += 1
                index += 2
            } else if bytes[index] == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") {
                depth -= 1
                index += 2
                if depth == 0 { return }
            } else {
                if bytes[index] == UInt8(ascii: "\n") { newline(at: index) }
                index += 1
            }
        }
        diagnostics.error(.syntax, "unterminated block comment", at: span(start, start + 2), hint: "close it with '*/'")
    }

    /// Records a line break as a token unless the previous token continues the line.
    mutating func newline(at offset: Int) {
        sawNewline = true
        guard let last = tokens.last, last.kind != .newline, !last.kind.continuesLine else { return }
        tokens.append(Token(kind: .newline, span: span(offset, offset + 1), followsNewline: false))
    }

    // MARK: - Tokens

    mutating func lexToken() {
        let start = index
        let byte = bytes[index]
        if isIdentifierStart(byte) {
            while index < end && isIdentifierContinue(bytes[index]) { index += 1 }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if text == "_" {
                emit(.underscore, from: start, to: index)
            } else if let keyword = Keyword(rawValue: text) {
                emit(.keyword(keyword), from: start, to: index)
            } else {
                emit(.identifier(text), from: start, to: index)
            }
            return
        }
        if isDigit(byte) {
            lexNumber()
            return
        }
        if byte == UInt8(ascii: "\"") {
            lexString()
            return
        }
        index += 1
        let next = index < end ? bytes[index] : 0
        func two(_ kind: TokenKind) { index += 1; emit(kind, from: start, to: index) }
        switch byte {
        case UInt8(ascii: "("): emit(.leftParen, from: start, to: index)
        case UInt8(ascii: ")"): emit(.rightParen, from: start, to: index)
        case UInt8(ascii: "{"): emit(.leftBrace, from: start, to: index)
        case UInt8(ascii: "}"): emit(.rightBrace, from: start, to: index)
        case UInt8(ascii: "["): emit(.leftBracket, from: start, to: index)
        case UInt8(ascii: "]"): emit(.rightBracket, from: start, to: index)
        case UInt8(ascii: ","): emit(.comma, from: start, to: index)
        case UInt8(ascii: ":"): emit(.colon, from: start, to: index)
        case UInt8(ascii: ";"): emit(.semicolon, from: start, to: index)
        case UInt8(ascii: "."): emit(.dot, from: start, to: index)
        case UInt8(ascii: "@"): emit(.at, from: start, to: index)
        case UInt8(ascii: "+"): emit(.plus, from: start, to: index)
        case UInt8(ascii: "*"): emit(.star, from: start, to: index)
        case UInt8(ascii: "/"): emit(.slash, from: start, to: index)
        case UInt8(ascii: "%"): emit(.percent, from: start, to: index)
        case UInt8(ascii: "-"):
            if next == UInt8(ascii: ">") { two(.arrow) } else { emit(.minus, from: start, to: index) }
        case UInt8(ascii: "="):
            if next == UInt8(ascii: ">") { two(.fatArrow) } else if next == UInt8(ascii: "=") { two(.equal) } else { emit(.assign, from: start, to: index) }
        case UInt8(ascii: "!"):
            if next == UInt8(ascii: "=") { two(.notEqual) } else { emit(.bang, from: start, to: index) }
        case UInt8(ascii: "<"):
            if next == UInt8(ascii: "=") { two(.lessEqual) } else { emit(.less, from: start, to: index) }
        case UInt8(ascii: ">"):
            if next == UInt8(ascii: "=") { two(.greaterEqual) } else { emit(.greater, from: start, to: index) }
        case UInt8(ascii: "&"):
            if next == UInt8(ascii: "&") { two(.andAnd) } else { invalid(from: start, "'&' is not an operator; did you mean '&&'?") }
        case UInt8(ascii: "|"):
            if next == UInt8(ascii: "|") { two(.orOr) } else { emit(.pipe, from: start, to: index) }
        default:
            invalidRun(from: start)
        }
    }

    /// A run of unreadable bytes is one diagnostic, so binary junk does not flood the output.
    mutating func invalidRun(from start: Int) {
        while index < end {
            let byte = bytes[index]
            if byte < 0x80 && (isIdentifierStart(byte) || isDigit(byte) || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\"") || Self.punctuation.contains(byte)) { break }
            index += 1
        }
        let shown = String(decoding: bytes[start..<min(index, start + 16)], as: UTF8.self)
        invalid(from: start, "unexpected character\(index - start > 1 ? "s" : "") '\(shown.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined())'")
    }

    static let punctuation: Set<UInt8> = Set("(){}[],:;.@+-*/%=!<>&|".utf8)

    mutating func invalid(from start: Int, _ message: String) {
        diagnostics.error(.syntax, message, at: span(start, index))
        emit(.invalid, from: start, to: index)
    }

    mutating func emit(_ kind: TokenKind, from start: Int, to stop: Int) {
        tokens.append(Token(kind: kind, span: span(start, stop), followsNewline: sawNewline))
        sawNewline = false
    }

    func span(_ start: Int, _ stop: Int) -> SourceSpan {
        SourceSpan(file: file, start: start, end: stop)
    }

    func peek(_ offset: Int) -> UInt8? {
        index + offset < end ? bytes[index + offset] : nil
    }

    func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
    }

    func isIdentifierContinue(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte)
    }

    func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
