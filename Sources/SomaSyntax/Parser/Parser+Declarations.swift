import SomaDiagnostics

extension Parser {
    static let declarationStarts: Set<TokenKind> = [.keyword(.use), .keyword(.type), .keyword(.migrate), .keyword(.fn), .keyword(.cell)]

    /// sourceUnit := (declaration (NEWLINE | ';')*)* EOF
    public mutating func parseSourceUnit() -> SourceUnit {
        var declarations: [Declaration] = []
        skipSeparators()
        while !isAtEnd {
            let before = position
            if let declaration = parseDeclaration() {
                declarations.append(declaration)
            }
            if position == before { advance() }
            skipSeparators()
        }
        return SourceUnit(file: file.id, declarations: declarations)
    }

    /// Recovers at the next token that begins a declaration, skipping balanced brackets.
    mutating func synchronizeDeclaration() {
        while !isAtEnd && !Self.declarationStarts.contains(kind) {
            if kind == .leftBrace || kind == .leftParen || kind == .leftBracket {
                advance()
                synchronize(stopAtNewline: false)
            }
            advance()
        }
    }

    mutating func parseDeclaration() -> Declaration? {
        switch kind {
        case .keyword(.use): return parseUse()
        case .keyword(.type): return parseTypeDeclaration().map(Declaration.type)
        case .keyword(.migrate): return parseMigrate()
        case .keyword(.fn): return parseFunctionDeclaration().map(Declaration.function)
        case .keyword(.cell): return parseCell().map(Declaration.cell)
        default:
            error("expected a declaration ('type', 'fn', 'cell', 'migrate' or 'use'), found \(kind.display)")
            synchronizeDeclaration()
            return nil
        }
    }

    /// use := 'use' STRING
    mutating func parseUse() -> Declaration? {
        let start = advance().span
        guard case .string(let literal) = kind, let path = literal.plainValue else {
            error("expected a file path in quotes after 'use'")
            synchronizeDeclaration()
            return nil
        }
        advance()
        return .use(UseDeclaration(path: path, span: span(from: start)))
    }

    /// typeDecl := 'type' IDENT ('@' 'version' '(' INT ')')? '=' (record | variants | type)
    mutating func parseTypeDeclaration() -> TypeDeclaration? {
        let start = advance().span
        guard let (name, nameSpan) = expectIdentifier("a type name") else {
            synchronizeDeclaration()
            return nil
        }
        var version: Int?
        var versionSpan: SourceSpan?
        while check(.at) {
            let attribute = parseAttribute()
            if attribute.name == "version" {
                versionSpan = attribute.span
                if attribute.arguments.count == 1, case .int(let value) = attribute.arguments[0].kind {
                    version = value
                } else {
                    diagnostics.error(.syntax, "@version takes one whole number, as in @version(2)", at: attribute.span)
                }
            } else {
                diagnostics.error(.syntax, "unknown type attribute '@\(attribute.name)'", at: attribute.span, hint: "types take @version(n)")
            }
        }
        guard expect(.assign, "after the type name") else {
            synchronizeDeclaration()
            return nil
        }
        skipNewlines()
        let body: TypeDeclaration.Body
        if check(.leftBrace) {
            body = .record(parseFieldList(open: .leftBrace, close: .rightBrace))
        } else {
            body = parseVariantsOrAlias()
        }
        return TypeDeclaration(name: name, nameSpan: nameSpan, version: version, versionSpan: versionSpan, body: body, span: span(from: start))
    }

    /// variants := case ('|' case)*   case := IDENT ('(' fields ')')?   (a lone generic or fn type is an alias)
    mutating func parseVariantsOrAlias() -> TypeDeclaration.Body {
        if check(.keyword(.fn)) || (current.identifier != nil && peek().kind == .less) {
            return .alias(parseType())
        }
        var cases: [VariantCase] = []
        repeat {
            skipNewlines()
            guard let (name, caseSpan) = expectIdentifier("a variant case name") else {
                synchronize(stopAtNewline: true)
                break
            }
            var fields: [FieldDeclaration] = []
            if check(.leftParen) {
                fields = parseFieldList(open: .leftParen, close: .rightParen)
            }
            cases.append(VariantCase(name: name, fields: fields, span: span(from: caseSpan)))
            if kind == .newline && tokens[skippingNewlines(from: position)].kind == .pipe {
                skipNewlines()
            }
        } while match(.pipe)
        return .variant(cases)
    }

    /// fields := '{' (field (',' | NEWLINE)*)* '}'   field := WORD ':' type attribute* ('=' expr)?
    mutating func parseFieldList(open: TokenKind, close: TokenKind) -> [FieldDeclaration] {
        advance()
        var fields: [FieldDeclaration] = []
        while true {
            skipSeparatorsAndCommas()
            if match(close) || isAtEnd { break }
            let before = position
            if let field = parseField() {
                fields.append(field)
            } else {
                synchronize(stopAtNewline: true, stops: [.comma])
            }
            if !check(close) && !check(.comma) && !check(.newline) && !check(.semicolon) && position != before {
                error("expected ',' or \(close.display) after a field, found \(kind.display)")
                synchronize(stopAtNewline: true, stops: [.comma])
            }
            if position == before { advance() }
        }
        return fields
    }

    mutating func skipSeparatorsAndCommas() {
        while kind == .newline || kind == .semicolon || kind == .comma { advance() }
    }

    mutating func parseField() -> FieldDeclaration? {
        guard let (name, nameSpan) = expectWord("a field name") else { return nil }
        guard expect(.colon, "after the field name '\(name)'") else { return nil }
        let type = parseType()
        var attributes: [Attribute] = []
        while check(.at) { attributes.append(parseAttribute()) }
        var defaultValue: Expression?
        if match(.assign) { defaultValue = parseExpression() }
        return FieldDeclaration(name: name, type: type, attributes: attributes, defaultValue: defaultValue, span: span(from: nameSpan))
    }

    /// attribute := '@' WORD ('(' expr (',' expr)* ')')?
    mutating func parseAttribute() -> Attribute {
        let start = advance().span
        let name = expectWord("an attribute name after '@'")?.name ?? ""
        var arguments: [Expression] = []
        if check(.leftParen) && !current.followsNewline {
            arguments = parseArguments().map(\.value)
        }
        return Attribute(name: name, arguments: arguments, span: span(from: start))
    }

    /// migrate := 'migrate' IDENT 'from' INT 'to' INT '=' expr | 'migrate' 'state' IDENT '.' WORD '{' renames '}'
    mutating func parseMigrate() -> Declaration? {
        let start = advance().span
        if match(.keyword(.state)) {
            return parseMigrateState(start: start)
        }
        guard let (typeName, typeSpan) = expectIdentifier("the name of the type to migrate"),
              expect(.keyword(.from), "after the type name"),
              let from = expectInt("the version migrated from"),
              expect(.keyword(.to), "after the old version"),
              let to = expectInt("the version migrated to"),
              expect(.assign, "before the migration function") else {
            synchronizeDeclaration()
            return nil
        }
        skipNewlines()
        let function = parseExpression()
        return .migrate(MigrateDeclaration(typeName: typeName, typeSpan: typeSpan, from: from, to: to, function: function, span: span(from: start)))
    }

    mutating func expectInt(_ what: String) -> Int? {
        if case .int(let value) = kind {
            advance()
            return value
        }
        error("expected \(what) (a whole number), found \(kind.display)")
        return nil
    }

    mutating func parseMigrateState(start: SourceSpan) -> Declaration? {
        guard let (cell, _) = expectIdentifier("a cell name"),
              expect(.dot, "between the cell and its state machine"),
              let (machine, _) = expectWord("a state machine name"),
              expect(.leftBrace, "to open the state renames") else {
            synchronizeDeclaration()
            return nil
        }
        var renames: [MigrateStateDeclaration.Rename] = []
        while true {
            skipSeparatorsAndCommas()
            if match(.rightBrace) || isAtEnd { break }
            let before = position
            if let (from, fromSpan) = expectWord("the old state name"), expect(.fatArrow, "between the old and new state names"),
               let (to, _) = expectWord("the new state name") {
                renames.append(.init(from: from, to: to, span: span(from: fromSpan)))
            } else {
                synchronize(stopAtNewline: true, stops: [.comma])
            }
            if position == before { advance() }
        }
        return .migrateState(MigrateStateDeclaration(cell: cell, machine: machine, renames: renames, span: span(from: start)))
    }

    /// fnDecl := 'fn' IDENT '(' params ')' ('->' type)? block
    mutating func parseFunctionDeclaration() -> FunctionDeclaration? {
        let start = advance().span
        guard let (name, nameSpan) = expectIdentifier("a function name") else {
            synchronizeDeclaration()
            return nil
        }
        let parameters = parseParameters()
        var result: TypeSyntax?
        if match(.arrow) { result = parseType() }
        guard check(.leftBrace) else {
            error("expected '{' to begin the body of '\(name)', found \(kind.display)")
            synchronizeDeclaration()
            return nil
        }
        let body = parseBlock()
        return FunctionDeclaration(name: name, nameSpan: nameSpan, parameters: parameters, result: result, body: body, span: span(from: start))
    }

    /// params := '(' (WORD ':' type (',' WORD ':' type)*)? ')'
    mutating func parseParameters() -> [Parameter] {
        guard expect(.leftParen, "to begin the parameters") else { return [] }
        var parameters: [Parameter] = []
        while true {
            skipNewlines()
            if match(.rightParen) || isAtEnd { break }
            let before = position
            if let (name, nameSpan) = expectWord("a parameter name") {
                if expect(.colon, "after the parameter name '\(name)'") {
                    let type = parseType()
                    parameters.append(Parameter(name: name, type: type, span: span(from: nameSpan)))
                }
            }
            skipNewlines()
            if !match(.comma) && !check(.rightParen) {
                error("expected ',' or ')' in the parameters, found \(kind.display)")
                synchronize(stopAtNewline: true)
                if match(.rightParen) { break }
                return parameters
            }
            if position == before { advance() }
        }
        return parameters
    }
}
