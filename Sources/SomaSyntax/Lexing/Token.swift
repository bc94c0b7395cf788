import SomaDiagnostics

public enum Keyword: String, CaseIterable, Sendable {
    case use, type, migrate, from, to, fn, cell, face, signal, memory, state, final, scale, on, every, start
    case `let`, `var`, `if`, `else`, match, `for`, `in`, `return`, send, call, fail, assert, invariant, drop
    case `true`, `false`, some = "Some", none = "None"
}

public enum TokenKind: Hashable, Sendable {
    case identifier(String)
    case keyword(Keyword)
    case int(Int)
    case float(Double)
    /// Duration literals in milliseconds (`250ms`, `5s`, `2h`).
    case duration(Int)
    case string(StringLiteral)
    case newline
    case eof
    /// A character the lexer could not read; already reported.
    case invalid

    // punctuation
    case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket
    case comma, colon, semicolon, dot, at, underscore
    case arrow, fatArrow
    case assign, plus, minus, star, slash, percent, bang
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    case andAnd, orOr, pipe
}

/// A string literal: literal pieces and interpolated expressions, each kept as the source span to parse.
public struct StringLiteral: Hashable, Sendable {
    public enum Segment: Hashable, Sendable {
        case text(String)
        case interpolation(SourceSpan)
    }
    public var segments: [Segment]

    public var plainValue: String? {
        var result = ""
        for segment in segments {
            guard case .text(let text) = segment else { return nil }
            result += text
        }
        return result
    }
}

public struct Token: Sendable {
    public var kind: TokenKind
    public var span: SourceSpan
    /// A newline token preceded this one (used to decide where a statement ends).
    public var followsNewline: Bool

    public var identifier: String? {
        if case .identifier(let name) = kind { return name }
        return nil
    }

    /// The name a token can stand for where any word is allowed (labels, member names).
    public var word: String? {
        switch kind {
        case .identifier(let name): return name
        case .keyword(let keyword): return keyword.rawValue
        default: return nil
        }
    }
}

extension TokenKind {
    public var display: String {
        switch self {
        case .identifier(let name): return "'\(name)'"
        case .keyword(let keyword): return "'\(keyword.rawValue)'"
        case .int(let value): return "'\(value)'"
        case .float(let value): return "'\(value)'"
        case .duration: return "a duration"
        case .string: return "a string"
        case .newline: return "end of line"
        case .eof: return "end of file"
        case .invalid: return "an unreadable character"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .comma: return "','"
        case .colon: return "':'"
        case .semicolon: return "';'"
        case .dot: return "'.'"
        case .at: return "'@'"
        case .underscore: return "'_'"
        case .arrow: return "'->'"
        case .fatArrow: return "'=>'"
        case .assign: return "'='"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .percent: return "'%'"
        case .bang: return "'!'"
        case .equal: return "'=='"
        case .notEqual: return "'!='"
        case .less: return "'<'"
        case .lessEqual: return "'<='"
        case .greater: return "'>'"
        case .greaterEqual: return "'>='"
        case .andAnd: return "'&&'"
        case .orOr: return "'||'"
        case .pipe: return "'|'"
        }
    }

    /// Binary operators and separators after which a line break does not end the statement.
    /// `>` is not one of them: a line ending in `>` closes a type such as `Option<Order>`.
    var continuesLine: Bool {
        switch self {
        case .plus, .minus, .star, .slash, .percent, .equal, .notEqual, .less, .lessEqual, .greaterEqual,
             .andAnd, .orOr, .comma, .leftParen, .leftBracket, .leftBrace, .assign, .arrow, .fatArrow, .pipe, .colon, .dot:
            return true
        default:
            return false
        }
    }
}
