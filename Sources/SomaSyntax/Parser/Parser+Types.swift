import SomaDiagnostics

extension Parser {
    /// type := 'fn' '(' types ')' '->' type | IDENT ('<' type (',' type)* '>')?
    mutating func parseType() -> TypeSyntax {
        guard enter() else { return TypeSyntax(.invalid, span: current.span) }
        defer { leave() }
        let start = current.span
        if match(.keyword(.fn)) {
            var parameters: [TypeSyntax] = []
            if expect(.leftParen, "after 'fn' in a function type") {
                while !check(.rightParen) && !isAtEnd {
                    let before = position
                    parameters.append(parseType())
                    if !match(.comma) { break }
                    if position == before { break }
                }
                expect(.rightParen, "to close the function type's parameters")
            }
            var result = TypeSyntax(.named("Unit", arguments: []), span: current.span)
            if match(.arrow) { result = parseType() }
            return TypeSyntax(.function(parameters: parameters, result: result), span: span(from: start))
        }
        guard let name = current.identifier else {
            error("expected a type, found \(kind.display)")
            return TypeSyntax(.invalid, span: current.span)
        }
        advance()
        var arguments: [TypeSyntax] = []
        if check(.less) {
            advance()
            while true {
                skipNewlines()
                let before = position
                arguments.append(parseType())
                skipNewlines()
                if match(.comma) { continue }
                if match(.greater) { break }
                error("expected ',' or '>' in the type arguments of '\(name)', found \(kind.display)")
                if position == before || isAtEnd { break }
                break
            }
        }
        return TypeSyntax(.named(name, arguments: arguments), span: span(from: start))
    }

    /// True when the tokens from `index` read as a type followed by `{`: how `fn(o) -> Order { ... }` is told
    /// apart from `fn(o) -> o.total`.
    func isTypeFollowedByBrace(at index: Int) -> Bool {
        guard tokens[index].identifier != nil else { return false }
        let after = tokens[index + 1].kind == .less ? indexAfterTypeArguments(at: index + 1) : index + 1
        return after.map { tokens[$0].kind == .leftBrace } ?? false
    }

    /// True when `<` at `index` opens type arguments of a generic call: `QueueService<Order>("outbox")`.
    func isGenericCall(at index: Int) -> Bool {
        guard tokens[index].kind == .less, let after = indexAfterTypeArguments(at: index) else { return false }
        return tokens[after].kind == .leftParen
    }

    /// Scans balanced `<…>` holding only what types are made of, from the `<` at `index`; the index after the
    /// closing `>`, or nil when the tokens cannot be type arguments. Bounded, so it stays cheap on hostile input.
    func indexAfterTypeArguments(at index: Int) -> Int? {
        var level = 0
        var index = index
        var steps = 0
        while index < tokens.count - 1 && steps < 256 {
            switch tokens[index].kind {
            case .less: level += 1
            case .greater:
                level -= 1
                if level == 0 { return index + 1 }
            case .identifier, .comma, .arrow, .leftParen, .rightParen, .keyword(.fn): break
            default: return nil
            }
            index += 1
            steps += 1
        }
        return nil
    }
}
