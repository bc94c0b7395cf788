import SomaDiagnostics

extension Parser {
    static let memberStarts: Set<TokenKind> = [
        .keyword(.face), .keyword(.memory), .keyword(.state), .keyword(.scale), .keyword(.let),
        .keyword(.invariant), .keyword(.on), .keyword(.every),
    ]

    /// cell := 'cell' IDENT '{' member* '}'
    mutating func parseCell() -> CellDeclaration? {
        let start = advance().span
        guard let (name, nameSpan) = expectIdentifier("a cell name") else {
            synchronizeDeclaration()
            return nil
        }
        skipNewlines()
        guard expect(.leftBrace, "to open cell '\(name)'") else {
            synchronizeDeclaration()
            return nil
        }
        var members: [CellMember] = []
        while true {
            skipSeparators()
            if match(.rightBrace) { break }
            if isAtEnd {
                error("cell '\(name)' is not closed", hint: "add '}' at the end of the cell")
                break
            }
            let before = position
            if let member = parseCellMember() {
                members.append(member)
            }
            if position == before { advance() }
        }
        return CellDeclaration(name: name, nameSpan: nameSpan, members: members, span: span(from: start))
    }

    /// Recovers at the next cell member keyword, or before the '}' that closes the cell.
    mutating func synchronizeMember() {
        while !isAtEnd && !check(.rightBrace) {
            if current.followsNewline && Self.memberStarts.contains(kind) { return }
            if kind == .leftBrace || kind == .leftParen || kind == .leftBracket {
                advance()
                synchronize(stopAtNewline: false)
            }
            advance()
        }
    }

    mutating func parseCellMember() -> CellMember? {
        switch kind {
        case .keyword(.face): return parseFace()
        case .keyword(.memory): return parseMemory()
        case .keyword(.state): return parseStateMachine().map(CellMember.state)
        case .keyword(.scale): return parseScale()
        case .keyword(.let): return parseResourceBinding()
        case .keyword(.invariant): return parseInvariant()
        case .keyword(.on), .keyword(.every): return parseHandler().map(CellMember.handler)
        default:
            error("expected a cell section (face, memory, state, scale, let, invariant, on, every), found \(kind.display)")
            synchronizeMember()
            return nil
        }
    }

    /// Parses `{ item (sep item)* }` where items are separated by newlines, ';' or ','. Recovers per item.
    mutating func parseSection(_ what: String, item: (inout Parser) -> Void) {
        skipNewlines()
        guard expect(.leftBrace, "to open the \(what) section") else {
            synchronizeMember()
            return
        }
        while true {
            skipSeparatorsAndCommas()
            if match(.rightBrace) { return }
            if isAtEnd {
                error("the \(what) section is not closed", hint: "add '}'")
                return
            }
            let before = position
            let errorsBefore = diagnostics.items.count
            item(&self)
            if diagnostics.items.count > errorsBefore {
                synchronize(stopAtNewline: true, stops: [.comma])
            } else if !check(.newline) && !check(.semicolon) && !check(.comma) && !check(.rightBrace) && !current.followsNewline {
                error("expected a line break or ',' in the \(what) section, found \(kind.display)")
                synchronize(stopAtNewline: true, stops: [.comma])
            }
            if position == before { advance() }
        }
    }

    /// face := 'face' '{' ('signal' WORD params ('->' type)?)* '}'
    mutating func parseFace() -> CellMember {
        let start = advance().span
        var signals: [SignalDeclaration] = []
        parseSection("face") { parser in
            let signalStart = parser.current.span
            guard parser.expect(.keyword(.signal), "to declare a face signal"),
                  let (name, nameSpan) = parser.expectWord("a signal name") else { return }
            let parameters = parser.parseParameters()
            var result: TypeSyntax?
            if parser.match(.arrow) { result = parser.parseType() }
            signals.append(SignalDeclaration(name: name, nameSpan: nameSpan, parameters: parameters, result: result, span: parser.span(from: signalStart)))
        }
        return .face(FaceSection(signals: signals, span: span(from: start)))
    }

    /// memory := 'memory' '{' (slot | 'drop' WORD)* '}'
    /// slot := WORD ':' type ('[' WORD (',' WORD)* ']')? ('+' WORD)* ('=' expr)?
    mutating func parseMemory() -> CellMember {
        let start = advance().span
        var slots: [SlotDeclaration] = []
        var drops: [MemorySection.Drop] = []
        parseSection("memory") { parser in
            if parser.check(.keyword(.drop)) {
                let dropStart = parser.advance().span
                if let (name, _) = parser.expectWord("the name of the slot to drop") {
                    drops.append(.init(name: name, span: parser.span(from: dropStart)))
                }
                return
            }
            guard let (name, nameSpan) = parser.expectWord("a memory slot name"),
                  parser.expect(.colon, "after the slot name '\(name)'") else { return }
            let type = parser.parseType()
            var properties: [SlotProperty] = []
            if parser.match(.leftBracket) {
                while true {
                    guard let (property, propertySpan) = parser.expectWord("a memory property (persistent, ephemeral, consistent, eventual, local)") else { return }
                    properties.append(SlotProperty(name: property, span: propertySpan))
                    if parser.match(.comma) { continue }
                    if parser.match(.rightBracket) { break }
                    parser.error("expected ',' or ']' in the properties of '\(name)', found \(parser.kind.display)")
                    return
                }
            }
            while parser.match(.plus) {
                guard let (property, propertySpan) = parser.expectWord("a memory property after '+'") else { return }
                properties.append(SlotProperty(name: property, span: propertySpan))
            }
            var initial: Expression?
            if parser.match(.assign) { initial = parser.parseExpression() }
            slots.append(SlotDeclaration(name: name, nameSpan: nameSpan, type: type, properties: properties, initialValue: initial, span: parser.span(from: nameSpan)))
        }
        return .memory(MemorySection(slots: slots, drops: drops, span: span(from: start)))
    }

    /// stateMachine := 'state' WORD? '{' (chain | 'final' WORD (',' WORD)*) (sep ...)* '}'   chain := WORD ('->' WORD)*
    mutating func parseStateMachine() -> StateMachineDeclaration? {
        let start = advance().span
        var name = "lifecycle"
        var nameSpan = start
        if !check(.leftBrace), let word = current.word, kind != .newline {
            name = word
            nameSpan = advance().span
        }
        var states: [StateMachineDeclaration.StateName] = []
        var seen: Set<String> = []
        var edges: [StateMachineDeclaration.Edge] = []
        var finals: [StateMachineDeclaration.StateName]?
        func note(_ state: String, _ stateSpan: SourceSpan) {
            if seen.insert(state).inserted { states.append(.init(name: state, span: stateSpan)) }
        }
        skipNewlines()
        guard expect(.leftBrace, "to open the state machine") else {
            synchronizeMember()
            return nil
        }
        while true {
            skipSeparators()
            if match(.rightBrace) { break }
            if isAtEnd {
                error("the state machine '\(name)' is not closed", hint: "add '}'")
                break
            }
            let before = position
            if match(.keyword(.final)) {
                var list = finals ?? []
                repeat {
                    guard let (state, stateSpan) = expectWord("a final state name") else { break }
                    list.append(.init(name: state, span: stateSpan))
                    note(state, stateSpan)
                } while match(.comma)
                finals = list
            } else if let (first, firstSpan) = expectWord("a state name") {
                note(first, firstSpan)
                var from = (first, firstSpan)
                while match(.arrow) {
                    guard let (to, toSpan) = expectWord("a state name after '->'") else { break }
                    note(to, toSpan)
                    edges.append(.init(from: from.0, to: to, span: from.1.to(toSpan)))
                    from = (to, toSpan)
                }
            }
            if !check(.newline) && !check(.semicolon) && !check(.rightBrace) {
                error("expected '->', a line break or ';' in the state machine, found \(kind.display)")
                synchronize(stopAtNewline: true)
            }
            if position == before { advance() }
        }
        return StateMachineDeclaration(name: name, nameSpan: nameSpan, states: states, edges: edges, finals: finals, span: span(from: start))
    }

    /// scale := 'scale' '{' (WORD ':' expr)* '}'
    mutating func parseScale() -> CellMember {
        let start = advance().span
        var entries: [ScaleSection.Entry] = []
        parseSection("scale") { parser in
            guard let (key, keySpan) = parser.expectWord("a scale setting"),
                  parser.expect(.colon, "after '\(key)'") else { return }
            entries.append(.init(key: key, keySpan: keySpan, value: parser.parseExpression()))
        }
        return .scale(ScaleSection(entries: entries, span: span(from: start)))
    }

    /// binding := 'let' WORD '=' expr
    mutating func parseResourceBinding() -> CellMember? {
        let start = advance().span
        guard let (name, nameSpan) = expectWord("a binding name"), expect(.assign, "after '\(name)'") else {
            synchronizeMember()
            return nil
        }
        let value = parseExpression()
        return .binding(ResourceBinding(name: name, nameSpan: nameSpan, value: value, span: span(from: start)))
    }

    /// invariant := 'invariant' WORD block
    mutating func parseInvariant() -> CellMember? {
        let start = advance().span
        guard let (name, _) = expectWord("an invariant name") else {
            synchronizeMember()
            return nil
        }
        guard check(.leftBrace) else {
            error("expected '{' to begin invariant '\(name)', found \(kind.display)")
            synchronizeMember()
            return nil
        }
        let blockStart = current.span
        let block = parseBlock()
        let condition = makeExpression(.block(block), span(from: blockStart))
        return .invariant(InvariantDeclaration(name: name, condition: condition, span: span(from: start)))
    }

    /// handler := 'on' 'start' block | 'on' WORD params block | 'every' DURATION block
    mutating func parseHandler() -> HandlerDeclaration? {
        let start = current.span
        let trigger: HandlerDeclaration.Trigger
        var nameSpan = start
        var parameters: [Parameter] = []
        if match(.keyword(.every)) {
            guard case .duration(let milliseconds) = kind else {
                error("expected a duration after 'every' (as in 'every 30s'), found \(kind.display)")
                synchronizeMember()
                return nil
            }
            nameSpan = advance().span
            trigger = .every(milliseconds: milliseconds)
        } else {
            advance()
            if check(.keyword(.start)) && peek().kind != .leftParen {
                nameSpan = advance().span
                trigger = .start
            } else {
                guard let (name, span) = expectWord("a signal or queue name after 'on'") else {
                    synchronizeMember()
                    return nil
                }
                nameSpan = span
                trigger = .signal(name)
                parameters = check(.leftParen) ? parseParameters() : []
            }
        }
        guard check(.leftBrace) else {
            error("expected '{' to begin the handler, found \(kind.display)")
            synchronizeMember()
            return nil
        }
        let body = parseBlock()
        return HandlerDeclaration(trigger: trigger, nameSpan: nameSpan, parameters: parameters, body: body, span: span(from: start))
    }
}
