import SomaDiagnostics

/// A recursive-descent parser with one method per grammar rule (see docs/language.md).
/// It never throws: an error becomes a diagnostic, the parser synchronizes at the next
/// statement or declaration, and parsing goes on, so one run reports every independent error.
public struct Parser {
    let file: SourceFile
    var tokens: [Token]
    var position = 0
    public internal(set) var diagnostics = DiagnosticList()
    public internal(set) var nextExpressionID: Int
    /// Inside an `if` condition, `match` scrutinee or `for` sequence, `Name {` starts the body, not a record.
    var allowsRecordLiteral = true
    var depth = 0
    /// The token index of the last error, so one bad token yields one diagnostic.
    var lastErrorPosition = -1
    /// Set when the input was too deeply nested to go on: the rest of the file is skipped without further messages.
    var abandoned = false

    /// Bounds the depth of every tree the parser builds (nesting plus operator chains), so later phases,
    /// which recurse over trees, cannot exhaust the stack.
    static let maximumDepth = 256

    public init(file: SourceFile, tokens: [Token], firstExpressionID: Int = 0) {
        self.file = file
        self.tokens = tokens.isEmpty ? [Token(kind: .eof, span: SourceSpan(file: file.id, start: 0, end: 0), followsNewline: false)] : tokens
        self.nextExpressionID = firstExpressionID
    }

    /// Lexes and parses a whole file.
    public static func parse(_ file: SourceFile, firstExpressionID: Int = 0) -> (unit: SourceUnit, diagnostics: DiagnosticList, nextExpressionID: Int) {
        let (tokens, lexDiagnostics) = Lexer.tokenize(file)
        var parser = Parser(file: file, tokens: tokens, firstExpressionID: firstExpressionID)
        parser.diagnostics.append(contentsOf: lexDiagnostics)
        let unit = parser.parseSourceUnit()
        return (unit, parser.diagnostics, parser.nextExpressionID)
    }

    // MARK: - Token cursor

    var current: Token { tokens[position] }
    var kind: TokenKind { tokens[position].kind }
    var isAtEnd: Bool { kind == .eof }

    func peek(_ offset: Int = 1) -> Token {
        tokens[min(position + offset, tokens.count - 1)]
    }

    /// The index of the first token at or after `index` that is not a line break.
    func skippingNewlines(from index: Int) -> Int {
        var index = index
        while index < tokens.count - 1, tokens[index].kind == .newline { index += 1 }
        return index
    }

    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    func check(_ expected: TokenKind) -> Bool { kind == expected }

    func check(_ keyword: Keyword) -> Bool { kind == .keyword(keyword) }

    mutating func match(_ expected: TokenKind) -> Bool {
        guard kind == expected else { return false }
        advance()
        return true
    }

    mutating func match(_ keyword: Keyword) -> Bool {
        match(.keyword(keyword))
    }

    mutating func skipNewlines() {
        while kind == .newline { advance() }
    }

    mutating func skipSeparators() {
        while kind == .newline || kind == .semicolon { advance() }
    }

    /// Consumes the expected token or reports what was found instead.
    @discardableResult
    mutating func expect(_ expected: TokenKind, _ context: String) -> Bool {
        if match(expected) { return true }
        error("expected \(expected.display) \(context), found \(kind.display)")
        return false
    }

    /// A word: an identifier, or a keyword where any name may stand (member names, labels, state names).
    mutating func expectWord(_ what: String) -> (name: String, span: SourceSpan)? {
        if let word = current.word, kind != .keyword(.true), kind != .keyword(.false) {
            let token = advance()
            return (word, token.span)
        }
        error("expected \(what), found \(kind.display)")
        return nil
    }

    mutating func expectIdentifier(_ what: String) -> (name: String, span: SourceSpan)? {
        if let name = current.identifier {
            let token = advance()
            return (name, token.span)
        }
        error("expected \(what), found \(kind.display)")
        return nil
    }

    // MARK: - Errors and recovery

    mutating func error(_ message: String, at span: SourceSpan? = nil, hint: String? = nil) {
        // An unreadable character was reported by the lexer; a second message about it adds nothing.
        guard position != lastErrorPosition, kind != .invalid, !abandoned else { return }
        lastErrorPosition = position
        diagnostics.error(.syntax, message, at: span ?? current.span, hint: hint)
    }

    /// Skips to a token that can restart parsing: one of `stops` at bracket depth 0, a line break at depth 0
    /// when `stopAtNewline`, or a closer that would unbalance the brackets (left for the caller).
    mutating func synchronize(stopAtNewline: Bool, stops: Set<TokenKind> = []) {
        var level = 0
        while !isAtEnd {
            switch kind {
            case .leftParen, .leftBracket, .leftBrace:
                level += 1
            case .rightParen, .rightBracket, .rightBrace:
                if level == 0 { return }
                level -= 1
            case .newline, .semicolon:
                if level == 0 && stopAtNewline { return }
            default:
                if level == 0 && stops.contains(kind) { return }
            }
            advance()
        }
    }

    /// Guards recursion: hostile nesting becomes one diagnostic instead of a stack overflow.
    mutating func enter() -> Bool {
        depth += 1
        if depth > Self.maximumDepth {
            if abandoned { return false }
            abandoned = true
            diagnostics.error(.tooComplex, "the expression is nested or chained more than \(Self.maximumDepth) levels deep", at: current.span,
                              hint: "split the expression with 'let' bindings or helper functions")
            position = tokens.count - 1
            return false
        }
        return true
    }

    mutating func leave() { depth -= 1 }

    // MARK: - Node construction

    mutating func makeExpression(_ kind: Expression.Kind, _ span: SourceSpan) -> Expression {
        defer { nextExpressionID += 1 }
        return Expression(id: nextExpressionID, kind: kind, span: span)
    }

    mutating func invalidExpression(at span: SourceSpan? = nil) -> Expression {
        makeExpression(.invalid, span ?? current.span)
    }

    /// The span from a start token's span to the end of the previous token.
    func span(from start: SourceSpan) -> SourceSpan {
        let previous = tokens[max(0, position - 1)].span
        return SourceSpan(file: start.file, start: start.start, end: max(start.end, previous.end))
    }
}
