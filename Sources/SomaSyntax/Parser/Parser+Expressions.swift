import SomaDiagnostics

extension Parser {
    /// Keywords that are read as plain names where an expression starts (`lifecycle.to(k, start)`, a state named `final`).
    static let contextualKeywords: Set<Keyword> = [
        .from, .to, .start, .state, .final, .type, .on, .every, .face, .memory, .scale, .signal, .cell, .drop, .invariant, .migrate, .use,
    ]

    /// expression := or
    public mutating func parseExpression() -> Expression {
        guard enter() else { return invalidExpression() }
        defer { leave() }
        return parseOr()
    }

    mutating func parseExpression(allowingRecords: Bool) -> Expression {
        let saved = allowsRecordLiteral
        allowsRecordLiteral = allowingRecords
        defer { allowsRecordLiteral = saved }
        return parseExpression()
    }

    /// or := and ('||' and)*
    mutating func parseOr() -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var left = parseAnd()
        while match(.orOr) {
            guard enter() else { return left }
            let right = parseAnd()
            left = makeExpression(.binary(.or, left, right), left.span.to(right.span))
        }
        return left
    }

    /// and := comparison ('&&' comparison)*
    mutating func parseAnd() -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var left = parseComparison()
        while match(.andAnd) {
            guard enter() else { return left }
            let right = parseComparison()
            left = makeExpression(.binary(.and, left, right), left.span.to(right.span))
        }
        return left
    }

    static let comparisonOperators: [TokenKind: BinaryOperator] = [
        .equal: .equal, .notEqual: .notEqual, .less: .less, .lessEqual: .lessEqual, .greater: .greater, .greaterEqual: .greaterEqual,
    ]

    /// comparison := additive (compareOp additive)?   — comparisons do not chain
    mutating func parseComparison() -> Expression {
        let left = parseAdditive()
        guard let op = Self.comparisonOperators[kind] else { return left }
        advance()
        let right = parseAdditive()
        let result = makeExpression(.binary(op, left, right), left.span.to(right.span))
        if Self.comparisonOperators[kind] != nil {
            error("comparisons cannot be chained", hint: "combine them with '&&', as in 'a < b && b < c'")
        }
        return result
    }

    /// additive := multiplicative (('+' | '-') multiplicative)*
    mutating func parseAdditive() -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var left = parseMultiplicative()
        while kind == .plus || kind == .minus {
            guard enter() else { return left }
            let op: BinaryOperator = advance().kind == .plus ? .add : .subtract
            let right = parseMultiplicative()
            left = makeExpression(.binary(op, left, right), left.span.to(right.span))
        }
        return left
    }

    /// multiplicative := unary (('*' | '/' | '%') unary)*
    mutating func parseMultiplicative() -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var left = parseUnary()
        while kind == .star || kind == .slash || kind == .percent {
            guard enter() else { return left }
            let token = advance().kind
            let op: BinaryOperator = token == .star ? .multiply : token == .slash ? .divide : .remainder
            let right = parseUnary()
            left = makeExpression(.binary(op, left, right), left.span.to(right.span))
        }
        return left
    }

    /// unary := ('-' | '!') unary | postfix
    mutating func parseUnary() -> Expression {
        guard kind == .minus || kind == .bang else { return parsePostfix() }
        guard enter() else { return invalidExpression() }
        defer { leave() }
        let token = advance()
        let operand = parseUnary()
        if token.kind == .minus, case .int(let value) = operand.kind {
            return makeExpression(.int(-value), token.span.to(operand.span))
        }
        if token.kind == .minus, case .float(let value) = operand.kind {
            return makeExpression(.float(-value), token.span.to(operand.span))
        }
        return makeExpression(.unary(token.kind == .minus ? .negate : .not, operand), token.span.to(operand.span))
    }

    /// postfix := primary ('.' WORD | '(' arguments ')')*   — a line starting with '.' continues the chain
    mutating func parsePostfix() -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var expression = parsePrimary()
        while true {
            guard enter() else { return expression }
            if kind == .newline && tokens[skippingNewlines(from: position)].kind == .dot {
                skipNewlines()
            }
            if match(.dot) {
                guard let (name, nameSpan) = expectWord("a field or method name after '.'") else { return expression }
                expression = makeExpression(.member(expression, name: name, nameSpan: nameSpan), expression.span.to(nameSpan))
            } else if check(.leftParen) && !current.followsNewline {
                let arguments = parseArguments()
                expression = makeExpression(.call(callee: expression, typeArguments: [], arguments: arguments), span(from: expression.span))
            } else {
                return expression
            }
        }
    }

    /// arguments := '(' (argument (',' argument)*)? ')'   argument := (WORD ':')? expr
    mutating func parseArguments() -> [Argument] {
        advance()
        let saved = allowsRecordLiteral
        allowsRecordLiteral = true
        defer { allowsRecordLiteral = saved }
        var arguments: [Argument] = []
        while true {
            skipNewlines()
            if match(.rightParen) || isAtEnd { break }
            let start = current.span
            var label: String?
            if let word = current.word, peek().kind == .colon {
                label = word
                advance()
                advance()
            }
            let value = parseExpression()
            arguments.append(Argument(label: label, value: value, span: span(from: start)))
            skipNewlines()
            if match(.comma) { continue }
            if match(.rightParen) { break }
            error("expected ',' or ')' in the arguments, found \(kind.display)")
            synchronize(stopAtNewline: false)
            _ = match(.rightParen)
            break
        }
        return arguments
    }

    mutating func parsePrimary() -> Expression {
        let token = current
        switch token.kind {
        case .int(let value):
            advance()
            return makeExpression(.int(value), token.span)
        case .float(let value):
            advance()
            return makeExpression(.float(value), token.span)
        case .duration(let milliseconds):
            advance()
            return makeExpression(.duration(milliseconds: milliseconds), token.span)
        case .string(let literal):
            advance()
            return makeExpression(.string(parseStringParts(literal)), token.span)
        case .keyword(.true), .keyword(.false):
            advance()
            return makeExpression(.bool(token.kind == .keyword(.true)), token.span)
        case .identifier(let name):
            return parseNamePrimary(name)
        case .keyword(.some):
            advance()
            guard check(.leftParen) else {
                error("expected '(' after 'Some', as in Some(x)")
                return invalidExpression(at: token.span)
            }
            let arguments = parseArguments()
            guard arguments.count == 1, arguments[0].label == nil else {
                diagnostics.error(.arity, "Some takes exactly one value", at: span(from: token.span))
                return invalidExpression(at: span(from: token.span))
            }
            return makeExpression(.some(arguments[0].value), span(from: token.span))
        case .keyword(.none):
            advance()
            return makeExpression(.none, token.span)
        case .leftParen:
            advance()
            skipNewlines()
            let inner = parseExpression(allowingRecords: true)
            skipNewlines()
            expect(.rightParen, "to close the parenthesis")
            return inner
        case .leftBracket:
            return parseListOrMap()
        case .leftBrace:
            return parseBraceExpression()
        case .keyword(.if):
            return parseIf()
        case .keyword(.match):
            return parseMatch()
        case .keyword(.fn):
            return parseLambda()
        case .keyword(.call):
            advance()
            guard let (cell, cellSpan) = expectIdentifier("a cell name after 'call'"), expect(.dot, "between the cell and the signal"),
                  let (signal, signalSpan) = expectWord("a signal name") else {
                return invalidExpression(at: token.span)
            }
            guard check(.leftParen) else {
                error("expected '(' after the signal name")
                return invalidExpression(at: token.span)
            }
            let arguments = parseArguments()
            return makeExpression(.callSignal(cell: cell, signal: signal, arguments: arguments, targetSpan: cellSpan.to(signalSpan)), span(from: token.span))
        case .keyword(.fail):
            advance()
            guard check(.leftParen) else {
                error("expected '(' after 'fail', as in fail(\"reason\")")
                return invalidExpression(at: token.span)
            }
            let arguments = parseArguments()
            guard arguments.count == 1 else {
                diagnostics.error(.arity, "fail takes exactly one reason", at: span(from: token.span))
                return invalidExpression(at: span(from: token.span))
            }
            return makeExpression(.fail(arguments[0].value), span(from: token.span))
        case .keyword(.return):
            advance()
            if [.newline, .semicolon, .rightBrace, .comma, .rightParen, .eof].contains(kind) {
                return makeExpression(.return(nil), token.span)
            }
            let value = parseExpression()
            return makeExpression(.return(value), span(from: token.span))
        case .keyword(let keyword) where Self.contextualKeywords.contains(keyword):
            return parseNamePrimary(keyword.rawValue)
        default:
            error("expected an expression, found \(token.kind.display)")
            return invalidExpression()
        }
    }

    /// A name, a generic call (`QueueService<T>(...)`) or a named record literal (`Item { sku: "a" }`).
    mutating func parseNamePrimary(_ name: String) -> Expression {
        let token = advance()
        if isGenericCall(at: position) {
            advance()
            var typeArguments: [TypeSyntax] = []
            while true {
                typeArguments.append(parseType())
                if match(.comma) { continue }
                expect(.greater, "to close the type arguments")
                break
            }
            let callee = makeExpression(.name(name), token.span)
            let arguments = parseArguments()
            return makeExpression(.call(callee: callee, typeArguments: typeArguments, arguments: arguments), span(from: token.span))
        }
        if allowsRecordLiteral && check(.leftBrace) && isRecordBody(at: position) {
            let fields = parseRecordFields()
            return makeExpression(.record(typeName: name, fields: fields), span(from: token.span))
        }
        return makeExpression(.name(name), token.span)
    }

    /// After '{': '}' or 'WORD :' means record fields.
    func isRecordBody(at brace: Int) -> Bool {
        let first = skippingNewlines(from: brace + 1)
        if tokens[first].kind == .rightBrace { return true }
        return tokens[first].word != nil && tokens[first + 1 < tokens.count ? first + 1 : first].kind == .colon
    }

    /// recordFields := '{' (WORD ':' expr (',' | NEWLINE)*)* '}'
    mutating func parseRecordFields() -> [FieldInit] {
        advance()
        let saved = allowsRecordLiteral
        allowsRecordLiteral = true
        defer { allowsRecordLiteral = saved }
        var fields: [FieldInit] = []
        while true {
            skipSeparatorsAndCommas()
            if match(.rightBrace) || isAtEnd { break }
            let before = position
            if let (name, nameSpan) = expectWord("a field name"), expect(.colon, "after the field name '\(name)'") {
                fields.append(FieldInit(name: name, nameSpan: nameSpan, value: parseExpression()))
            }
            if !check(.comma) && !check(.newline) && !check(.semicolon) && !check(.rightBrace) {
                error("expected ',' or '}' after a field, found \(kind.display)")
                synchronize(stopAtNewline: true, stops: [.comma])
            }
            if position == before { advance() }
        }
        return fields
    }

    /// A '{' in expression position: an empty block, a record literal, a record update `{ x | f = v }`, or a block.
    mutating func parseBraceExpression() -> Expression {
        let start = current.span
        let first = skippingNewlines(from: position + 1)
        if tokens[first].kind == .rightBrace {
            position = first
            advance()
            return makeExpression(.block(Block(statements: [], span: span(from: start))), span(from: start))
        }
        if isRecordBody(at: position) {
            let fields = parseRecordFields()
            return makeExpression(.record(typeName: nil, fields: fields), span(from: start))
        }
        if hasUpdateBar(from: first) {
            return parseUpdate()
        }
        let block = parseBlock()
        return makeExpression(.block(block), block.span)
    }

    /// True when a '|' stands at bracket depth 0 before the line or the brace ends.
    func hasUpdateBar(from index: Int) -> Bool {
        var level = 0
        var index = index
        var steps = 0
        while index < tokens.count - 1 && steps < 512 {
            switch tokens[index].kind {
            case .leftParen, .leftBracket, .leftBrace: level += 1
            case .rightParen, .rightBracket, .rightBrace:
                if level == 0 { return false }
                level -= 1
            case .pipe where level == 0: return true
            case .newline, .semicolon: if level == 0 { return false }
            default: break
            }
            index += 1
            steps += 1
        }
        return false
    }

    /// update := '{' expr '|' (WORD '=' expr (',' | NEWLINE)*)+ '}'
    mutating func parseUpdate() -> Expression {
        let start = advance().span
        skipNewlines()
        let base = parseExpression(allowingRecords: true)
        expect(.pipe, "after the record in an update")
        var fields: [FieldInit] = []
        while true {
            skipSeparatorsAndCommas()
            if match(.rightBrace) || isAtEnd { break }
            let before = position
            if let (name, nameSpan) = expectWord("a field name"), expect(.assign, "after '\(name)' in an update (fields are set with '=')") {
                fields.append(FieldInit(name: name, nameSpan: nameSpan, value: parseExpression(allowingRecords: true)))
            } else {
                synchronize(stopAtNewline: true, stops: [.comma])
            }
            if position == before { advance() }
        }
        return makeExpression(.update(base: base, fields: fields), span(from: start))
    }

    /// list := '[' (expr (',' expr)*)? ']'   map := '[' ':' ']' | '[' expr ':' expr (',' expr ':' expr)* ']'
    mutating func parseListOrMap() -> Expression {
        let start = advance().span
        let saved = allowsRecordLiteral
        allowsRecordLiteral = true
        defer { allowsRecordLiteral = saved }
        skipNewlines()
        if match(.colon) {
            skipNewlines()
            expect(.rightBracket, "to close the empty map '[:]'")
            return makeExpression(.map([]), span(from: start))
        }
        var elements: [Expression] = []
        var entries: [MapEntry] = []
        var isMap = false
        while true {
            skipNewlines()
            if match(.rightBracket) || isAtEnd { break }
            let element = parseExpression()
            if elements.isEmpty && entries.isEmpty && check(.colon) { isMap = true }
            if isMap {
                if expect(.colon, "between a map key and its value") {
                    entries.append(MapEntry(key: element, value: parseExpression()))
                }
            } else {
                elements.append(element)
            }
            skipNewlines()
            if match(.comma) { continue }
            if match(.rightBracket) { break }
            error("expected ',' or ']', found \(kind.display)")
            synchronize(stopAtNewline: false)
            _ = match(.rightBracket)
            break
        }
        return makeExpression(isMap ? .map(entries) : .list(elements), span(from: start))
    }

    /// if := 'if' expr block ('else' (if | block))?
    mutating func parseIf() -> Expression {
        guard enter() else { return invalidExpression() }
        defer { leave() }
        let start = advance().span
        let condition = parseExpression(allowingRecords: false)
        guard check(.leftBrace) else {
            error("expected '{' after the condition of 'if', found \(kind.display)")
            return invalidExpression(at: start)
        }
        let then = parseBlock()
        var elseBranch: Expression?
        if kind == .newline && tokens[skippingNewlines(from: position)].kind == .keyword(.else) {
            skipNewlines()
        }
        if match(.keyword(.else)) {
            if check(.keyword(.if)) {
                elseBranch = parseIf()
            } else if check(.leftBrace) {
                let block = parseBlock()
                elseBranch = makeExpression(.block(block), block.span)
            } else {
                error("expected '{' or 'if' after 'else', found \(kind.display)")
            }
        }
        return makeExpression(.ifElse(condition: condition, then: then, else: elseBranch), span(from: start))
    }

    /// match := 'match' expr '{' (pattern '=>' expr (',' | NEWLINE)*)* '}'
    mutating func parseMatch() -> Expression {
        let start = advance().span
        let subject = parseExpression(allowingRecords: false)
        skipNewlines()
        guard expect(.leftBrace, "to open the match arms") else { return invalidExpression(at: start) }
        let saved = allowsRecordLiteral
        allowsRecordLiteral = true
        defer { allowsRecordLiteral = saved }
        var arms: [MatchArm] = []
        while true {
            skipSeparatorsAndCommas()
            if match(.rightBrace) || isAtEnd { break }
            let before = position
            let pattern = parsePattern()
            if expect(.fatArrow, "after the pattern") {
                skipNewlines()
                arms.append(MatchArm(pattern: pattern, body: parseExpression()))
            }
            if !check(.comma) && !check(.newline) && !check(.semicolon) && !check(.rightBrace) {
                error("expected ',' or a line break after a match arm, found \(kind.display)")
                synchronize(stopAtNewline: true, stops: [.comma])
            }
            if position == before { advance() }
        }
        return makeExpression(.match(subject, arms: arms), span(from: start))
    }

    /// lambda := 'fn' '(' (WORD (':' type)?)* ')' ('->' (type braceExpr | expr) | braceExpr)
    mutating func parseLambda() -> Expression {
        let start = advance().span
        var parameters: [LambdaParameter] = []
        guard expect(.leftParen, "after 'fn'") else { return invalidExpression(at: start) }
        while true {
            skipNewlines()
            if match(.rightParen) || isAtEnd { break }
            let before = position
            guard let (name, nameSpan) = expectWord("a parameter name") else {
                synchronize(stopAtNewline: false)
                _ = match(.rightParen)
                break
            }
            var type: TypeSyntax?
            if match(.colon) { type = parseType() }
            parameters.append(LambdaParameter(name: name, type: type, span: span(from: nameSpan)))
            skipNewlines()
            if match(.comma) { continue }
            if match(.rightParen) { break }
            error("expected ',' or ')' after a lambda parameter, found \(kind.display)")
            if position == before { advance() }
            break
        }
        var result: TypeSyntax?
        let body: Expression
        if match(.arrow) {
            if isTypeFollowedByBrace(at: position) {
                result = parseType()
                body = parseBraceExpression()
            } else {
                body = parseExpression()
            }
        } else if check(.leftBrace) {
            body = parseBraceExpression()
        } else {
            error("expected '->' or '{' after the lambda's parameters, found \(kind.display)")
            return invalidExpression(at: start)
        }
        return makeExpression(.lambda(parameters: parameters, result: result, body: body), span(from: start))
    }

    /// Parses the expressions inside `\( … )` with a parser of their own over the same file.
    mutating func parseStringParts(_ literal: StringLiteral) -> [StringPart] {
        literal.segments.map { segment in
            switch segment {
            case .text(let text):
                return .text(text)
            case .interpolation(let range):
                var lexer = Lexer(bytes: file.bytes, file: file.id, range: range.start..<range.end)
                let tokens = lexer.run()
                var inner = Parser(file: file, tokens: tokens, firstExpressionID: nextExpressionID)
                inner.depth = depth
                inner.diagnostics.append(contentsOf: lexer.diagnostics)
                inner.skipNewlines()
                let expression = inner.isAtEnd
                    ? { inner.error("empty interpolation"); return inner.invalidExpression(at: range) }()
                    : inner.parseExpression()
                inner.skipNewlines()
                if !inner.isAtEnd { inner.error("expected ')' to end the interpolation, found \(inner.kind.display)") }
                nextExpressionID = inner.nextExpressionID
                diagnostics.append(contentsOf: inner.diagnostics)
                return .interpolation(expression)
            }
        }
    }
}
