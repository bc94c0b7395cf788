import SomaDiagnostics
import SomaSyntax

extension Checker {
    mutating func collectFunctions() {
        for case .function(let declaration) in declarations {
            if functions[declaration.name] != nil || Self.builtinFunctionNames.contains(declaration.name) {
                error(.duplicate, "function '\(declaration.name)' is declared twice", at: declaration.nameSpan)
                continue
            }
            let parameterTypes = declaration.parameters.map { resolve($0.type) }
            checkDistinctParameters(declaration.parameters)
            let result = declaration.result.map { resolve($0) } ?? .unit
            functions[declaration.name] = FunctionSignature(name: declaration.name, parameters: declaration.parameters,
                                                            parameterTypes: parameterTypes, result: result, span: declaration.nameSpan)
        }
    }

    mutating func checkDistinctParameters(_ parameters: [Parameter]) {
        var seen: Set<String> = []
        for parameter in parameters where !seen.insert(parameter.name).inserted {
            error(.duplicate, "parameter '\(parameter.name)' appears twice", at: parameter.span)
        }
    }

    mutating func checkFunctionBodies() {
        for case .function(let declaration) in declarations {
            guard let signature = functions[declaration.name], signature.span == declaration.nameSpan else { continue }
            context = BodyContext(kind: .function, cell: nil, result: signature.result)
            scopes = [[:]]
            for (parameter, type) in zip(declaration.parameters, signature.parameterTypes) { declare(parameter.name, type) }
            reads = InvariantReads()
            checkBody(declaration.body, result: signature.result)
            functionReads[declaration.name] = reads
            reads = nil
            scopes = []
        }
    }

    // MARK: - Cells

    mutating func collectCells() {
        for case .cell(let declaration) in declarations {
            guard cells[declaration.name] == nil else {
                error(.duplicate, "cell '\(declaration.name)' is declared twice", at: declaration.nameSpan)
                continue
            }
            var model = CellModel(name: declaration.name, span: declaration.nameSpan)
            collectSignals(declaration, into: &model)
            collectSlots(declaration, into: &model)
            collectMachines(declaration, into: &model)
            cells[declaration.name] = model
            cellOrder.append(declaration.name)
            cellDeclarations[declaration.name] = declaration
            collectResources(declaration)
            let scale = scaleModel(declaration)
            cells[declaration.name]?.scale = scale
        }
    }

    mutating func collectSignals(_ declaration: CellDeclaration, into model: inout CellModel) {
        for signal in declaration.signals {
            if model.signal(signal.name) != nil {
                error(.duplicate, "signal '\(signal.name)' is declared twice in cell '\(declaration.name)'", at: signal.nameSpan)
                continue
            }
            checkDistinctParameters(signal.parameters)
            var parameters: [(name: String, type: SomaType)] = []
            for parameter in signal.parameters {
                let type = resolve(parameter.type)
                requireSerializable(type, at: parameter.type.span, what: "signal parameter '\(parameter.name)'")
                parameters.append((parameter.name, type))
            }
            let result = signal.result.map { resolve($0) } ?? .unit
            if let syntax = signal.result { requireSerializable(result, at: syntax.span, what: "the result of signal '\(signal.name)'") }
            model.signals.append(SignalModel(name: signal.name, parameters: parameters, result: result, span: signal.nameSpan))
        }
    }

    mutating func collectSlots(_ declaration: CellDeclaration, into model: inout CellModel) {
        for slot in declaration.slots {
            if model.slot(slot.name) != nil {
                error(.duplicate, "memory slot '\(slot.name)' is declared twice in cell '\(declaration.name)'", at: slot.nameSpan)
                continue
            }
            let type = resolve(slot.type)
            requireSerializable(type, at: slot.type.span, what: "memory slot '\(slot.name)'")
            var properties = SlotProperties()
            for property in slot.properties {
                switch property.name {
                case "persistent": properties.persistent = true
                case "ephemeral": properties.ephemeral = true
                case "consistent": properties.consistent = true
                case "eventual": properties.eventual = true
                case "local": properties.local = true
                default:
                    error(.unknownProperty, "unknown memory property '\(property.name)'", at: property.span,
                          hint: Self.suggestion(for: property.name, among: ["persistent", "ephemeral", "consistent", "eventual", "local"])
                            ?? "properties are persistent, ephemeral, consistent, eventual and local")
                }
            }
            let propertySpan = slot.properties.first.map { $0.span.to(slot.properties.last!.span) } ?? slot.nameSpan
            model.slots.append(SlotModel(name: slot.name, type: type, properties: properties, span: slot.nameSpan, propertySpan: propertySpan))
        }
        for drop in declaration.drops where model.slot(drop.name) != nil {
            error(.duplicate, "'\(drop.name)' is both declared and dropped", at: drop.span, hint: "remove the 'drop' line or the slot")
        }
    }

    mutating func collectMachines(_ declaration: CellDeclaration, into model: inout CellModel) {
        for machine in declaration.stateMachines {
            if model.machine(machine.name) != nil {
                error(.duplicate, "state machine '\(machine.name)' is declared twice in cell '\(declaration.name)'", at: machine.nameSpan)
                continue
            }
            let names = machine.states.map(\.name)
            let exits = Set(machine.edges.map(\.from))
            let finals = machine.finals.map { $0.map(\.name) } ?? names.filter { !exits.contains($0) }
            model.machines.append(MachineModel(cell: declaration.name, name: machine.name, states: names,
                                               edges: machine.edges.map { ($0.from, $0.to) }, finals: finals, declaration: machine))
            warnUnreachableStates(machine)
        }
    }

    mutating func warnUnreachableStates(_ machine: StateMachineDeclaration) {
        guard let initial = machine.states.first?.name else { return }
        var successors: [String: [String]] = [:]
        for edge in machine.edges { successors[edge.from, default: []].append(edge.to) }
        var reached: Set<String> = [initial]
        var stack = [initial]
        while let state = stack.popLast() {
            for next in successors[state] ?? [] where reached.insert(next).inserted {
                stack.append(next)
            }
        }
        for state in machine.states where !reached.contains(state.name) {
            diagnostics.warning(.unreachableState, "state '\(state.name)' cannot be reached from the initial state '\(initial)'",
                                at: state.span, hint: "add a transition into it, or remove it")
        }
    }

    mutating func collectResources(_ declaration: CellDeclaration) {
        context = BodyContext(kind: .initializer, cell: declaration.name, result: nil)
        scopes = [[:]]
        for binding in declaration.bindings {
            if cells[declaration.name]?.resource(binding.name) != nil || cells[declaration.name]?.slot(binding.name) != nil {
                error(.duplicate, "'\(binding.name)' is already declared in cell '\(declaration.name)'", at: binding.nameSpan)
                continue
            }
            guard case .call(let callee, let typeArguments, let arguments) = binding.value.kind, case .name(let constructor) = callee.kind,
                  ResourceModel.Kind(rawValue: constructor) != nil else {
                _ = check(binding.value, expected: nil)
                error(.invalidResource, "a cell-level 'let' binds a resource: QueueService<T>(\"name\") or Database<S>(\"name\")", at: binding.value.span,
                      hint: "values computed in handlers are bound with 'let' inside the handler")
                continue
            }
            guard var resource = checkResourceConstructor(constructor, typeArguments: typeArguments, arguments: arguments, span: binding.value.span) else { continue }
            resource.binding = binding.name
            cells[declaration.name]?.resources.append(resource)
        }
        scopes = []
    }

    mutating func requireSerializable(_ type: SomaType, at span: SourceSpan, what: String) {
        guard !table.isSerializable(type) else { return }
        let part = table.unserializablePart(of: type).map { " (it holds \($0))" } ?? ""
        error(.notSerializable, "\(what) must be serializable, but \(type) is not\(part)", at: span,
              hint: "functions cannot be stored, sent or queued; store the data the function would compute")
    }

    // MARK: - Handlers and invariants

    mutating func checkCellBodies(_ declaration: CellDeclaration) {
        guard let model = cells[declaration.name] else { return }
        var handled: [String: SourceSpan] = [:]
        var startSeen = false
        for handler in declaration.handlers {
            var result = SomaType.unit
            var parameterTypes = handler.parameters.map { resolve($0.type) }
            checkDistinctParameters(handler.parameters)
            switch handler.trigger {
            case .signal(let name):
                if handled[name] != nil {
                    error(.duplicate, "'\(name)' has two handlers in cell '\(declaration.name)'", at: handler.nameSpan)
                }
                handled[name] = handler.nameSpan
                if let signal = model.signal(name) {
                    result = signal.result
                    checkHandlerParameters(handler, parameterTypes, against: signal.parameters, what: "signal '\(name)'")
                    parameterTypes = zip(parameterTypes, signal.parameters).map { $0 == .unknown ? $1.type : $0 }
                } else if let resource = model.resource(name), resource.kind == .queue {
                    if handler.parameters.count != 1 {
                        error(.arity, "a queue handler takes one message: on \(name)(msg: \(resource.element))", at: handler.nameSpan)
                    } else if parameterTypes[0] != resource.element && parameterTypes[0] != .unknown && resource.element != .unknown {
                        error(.typeMismatch, "queue '\(name)' carries \(resource.element), but its handler takes \(parameterTypes[0])",
                              at: handler.parameters[0].type.span)
                    }
                } else {
                    let candidates = model.signals.map(\.name) + model.resources.filter { $0.kind == .queue }.map(\.binding)
                    error(.extraHandler, "'on \(name)' matches no signal of the face and no queue of cell '\(declaration.name)'", at: handler.nameSpan,
                          hint: Self.suggestion(for: name, among: candidates) ?? "declare 'signal \(name)(…)' in the face, or remove the handler")
                }
            case .start:
                if startSeen { error(.duplicate, "cell '\(declaration.name)' has two 'on start' handlers", at: handler.nameSpan) }
                startSeen = true
                cells[declaration.name]?.hasStartHandler = true
            case .every(let milliseconds):
                if milliseconds <= 0 { error(.typeMismatch, "a timer needs a positive period", at: handler.nameSpan) }
                cells[declaration.name]?.timers.append(milliseconds)
            }
            context = BodyContext(kind: .handler, cell: declaration.name, result: result)
            scopes = [[:]]
            for (parameter, type) in zip(handler.parameters, parameterTypes) { declare(parameter.name, type) }
            checkBody(handler.body, result: result)
            scopes = []
        }
        for signal in model.signals where handled[signal.name] == nil {
            error(.missingHandler, "signal '\(signal.name)' of cell '\(declaration.name)' has no handler", at: signal.span,
                  hint: "add 'on \(signal.name)(\(signal.parameters.map { "\($0.name): \($0.type)" }.joined(separator: ", "))) { … }'")
        }
        for invariant in declaration.invariants {
            let model = checkInvariant(invariant, cell: declaration.name)
            cells[declaration.name]?.invariants.append(model)
        }
        context = BodyContext(kind: .initializer, cell: nil, result: nil)
        for slot in declaration.slots {
            guard let initial = slot.initialValue, let type = model.slot(slot.name)?.type else { continue }
            scopes = [[:]]
            check(initial, expected: type)
            scopes = []
        }
    }

    mutating func checkHandlerParameters(_ handler: HandlerDeclaration, _ types: [SomaType], against expected: [(name: String, type: SomaType)], what: String) {
        guard handler.parameters.count == expected.count else {
            error(.arity, "the handler of \(what) takes \(handler.parameters.count) parameter\(handler.parameters.count == 1 ? "" : "s"), the face declares \(expected.count)",
                  at: handler.nameSpan, hint: "write the parameters as the face does: (\(expected.map { "\($0.name): \($0.type)" }.joined(separator: ", ")))")
            return
        }
        for (index, parameter) in handler.parameters.enumerated() {
            if parameter.name != expected[index].name {
                error(.typeMismatch, "parameter \(index + 1) of the handler is '\(parameter.name)', the face calls it '\(expected[index].name)'", at: parameter.span)
            } else if types[index] != expected[index].type && types[index] != .unknown && expected[index].type != .unknown {
                error(.typeMismatch, "parameter '\(parameter.name)' is \(types[index]) here but \(expected[index].type) in the face", at: parameter.type.span)
            }
        }
    }

    /// A handler's or function's block must give its result type; a Unit result discards the block's value.
    mutating func checkBody(_ block: Block, result: SomaType) {
        if result == .unit {
            _ = inferBlock(block, expected: nil, discard: true)
        } else {
            _ = inferBlock(block, expected: result)
        }
    }
}
