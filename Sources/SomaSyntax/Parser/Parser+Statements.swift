import SomaDiagnostics

extension Parser {
    /// block := '{' (statement (NEWLINE | ';')+)* '}'
    mutating func parseBlock() -> Block {
        let start = current.span
        guard enter() else { return Block(statements: [], span: start) }
        defer { leave() }
        guard expect(.leftBrace, "to begin a block") else { return Block(statements: [], span: start) }
        let saved = allowsRecordLiteral
        allowsRecordLiteral = true
        defer { allowsRecordLiteral = saved }
        var statements: [Statement] = []
        while true {
            skipSeparators()
            if match(.rightBrace) { break }
            if isAtEnd {
                error("the block is not closed", at: start, hint: "add '}'")
                break
            }
            let before = position
            if let statement = parseStatement() {
                statements.append(statement)
            }
            if !check(.newline) && !check(.semicolon) && !check(.rightBrace) && !isAtEnd && !current.followsNewline {
                error("expected a line break or ';' after the statement, found \(kind.display)")
                synchronize(stopAtNewline: true)
            }
            if position == before { advance() }
        }
        return Block(statements: statements, span: span(from: start))
    }

    /// statement := binding | for | send | assert | expr ('=' expr)?
    mutating func parseStatement() -> Statement? {
        let start = current.span
        switch kind {
        case .keyword(.let), .keyword(.var):
            let mutable = advance().kind == .keyword(.var)
            guard let (name, nameSpan) = expectWord("a name to bind") else { return nil }
            var type: TypeSyntax?
            if match(.colon) { type = parseType() }
            guard expect(.assign, "after '\(name)'") else { return nil }
            let value = parseExpression()
            return Statement(.binding(name: name, nameSpan: nameSpan, type: type, value: value, mutable: mutable), span: span(from: start))
        case .keyword(.for):
            advance()
            guard let (name, nameSpan) = expectWord("a loop variable after 'for'"), expect(.keyword(.in), "after the loop variable") else { return nil }
            let sequence = parseExpression(allowingRecords: false)
            guard check(.leftBrace) else {
                error("expected '{' to begin the loop body, found \(kind.display)")
                return nil
            }
            let body = parseBlock()
            return Statement(.forIn(name: name, nameSpan: nameSpan, sequence: sequence, body: body), span: span(from: start))
        case .keyword(.send):
            advance()
            guard let (cell, cellSpan) = expectIdentifier("a cell name after 'send'"), expect(.dot, "between the cell and the signal"),
                  let (signal, signalSpan) = expectWord("a signal name") else { return nil }
            guard check(.leftParen) else {
                error("expected '(' after the signal name")
                return nil
            }
            let arguments = parseArguments()
            return Statement(.send(cell: cell, signal: signal, arguments: arguments, targetSpan: cellSpan.to(signalSpan)), span: span(from: start))
        case .keyword(.assert):
            advance()
            let condition = parseExpression()
            var message: Expression?
            if match(.comma) { message = parseExpression() }
            return Statement(.assert(condition: condition, message: message), span: span(from: start))
        default:
            let expression = parseExpression()
            if match(.assign) {
                let value = parseExpression()
                return Statement(.assign(target: expression, value: value), span: span(from: start))
            }
            return Statement(.expression(expression), span: span(from: start))
        }
    }
}
