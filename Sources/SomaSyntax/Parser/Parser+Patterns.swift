import SomaDiagnostics

extension Parser {
    /// pattern := '_' | literal | 'Some' '(' pattern ')' | 'None' | IDENT ('.' IDENT)? ('(' (WORD ':')? pattern, ... ')')?
    mutating func parsePattern() -> Pattern {
        guard enter() else { return Pattern(.invalid, span: current.span) }
        defer { leave() }
        let token = current
        switch token.kind {
        case .underscore:
            advance()
            return Pattern(.wildcard, span: token.span)
        case .int, .float, .string, .keyword(.true), .keyword(.false), .minus:
            let literal = parseUnary()
            return Pattern(.literal(literal), span: literal.span)
        case .keyword(.some):
            advance()
            guard expect(.leftParen, "after 'Some' in a pattern") else { return Pattern(.invalid, span: token.span) }
            let inner = parsePattern()
            expect(.rightParen, "to close 'Some('")
            return Pattern(.some(inner), span: span(from: token.span))
        case .keyword(.none):
            advance()
            return Pattern(.none, span: token.span)
        case .identifier(let name):
            advance()
            var typeName: String?
            var caseName = name
            if match(.dot) {
                guard let (member, _) = expectWord("a variant case after '.'") else { return Pattern(.invalid, span: token.span) }
                typeName = name
                caseName = member
            }
            guard check(.leftParen) else {
                return typeName == nil
                    ? Pattern(.name(name), span: token.span)
                    : Pattern(.variant(typeName: typeName, caseName: caseName, arguments: []), span: span(from: token.span))
            }
            advance()
            var arguments: [PatternArgument] = []
            while true {
                skipNewlines()
                if match(.rightParen) || isAtEnd { break }
                let before = position
                var label: String?
                if let word = current.word, peek().kind == .colon {
                    label = word
                    advance()
                    advance()
                }
                arguments.append(PatternArgument(label: label, pattern: parsePattern()))
                skipNewlines()
                if match(.comma) { continue }
                if match(.rightParen) { break }
                error("expected ',' or ')' in the pattern, found \(kind.display)")
                synchronize(stopAtNewline: false)
                _ = match(.rightParen)
                if position == before { advance() }
                break
            }
            return Pattern(.variant(typeName: typeName, caseName: caseName, arguments: arguments), span: span(from: token.span))
        default:
            error("expected a pattern, found \(token.kind.display)")
            return Pattern(.invalid, span: token.span)
        }
    }
}
