import Foundation
import GRDB
import SomaChecker
import SomaDiagnostics
import SomaProtocol
import SomaResources
import SomaStorage
import SomaSyntax

extension TurnEngine {
    /// Evaluates every cell-level resource binding: each constructor finds or provisions its resource.
    func openBindings(_ program: RuntimeProgram) throws {
        for name in program.cellOrder {
            guard let cell = program.cells[name] else { continue }
            for binding in cell.declaration.bindings {
                guard let model = cell.model.resource(binding.name),
                      case .call(let callee, _, let arguments) = binding.value.kind, case .name(let constructor) = callee.kind else { continue }
                let evaluator = Evaluator(program: program, turn: nil)
                evaluator.resources = resources
                let type: SomaType = model.kind == .queue ? .queue(model.element) : .database(model.element)
                do {
                    _ = try evaluator.constructResource(constructor, arguments: arguments, type: type, span: binding.value.span)
                } catch let error as TurnError {
                    throw error
                } catch {
                    throw TurnError(.resource, "\(error)", at: evaluator.location(binding.value.span))
                }
            }
        }
    }

    /// Hands the effects stored before a restart back to the pump, in their order.
    func resumeEffects(_ program: RuntimeProgram) {
        let stored = takeEffectsAtStart()
        var effects: [ResourceEffect] = []
        for name in Set(stored.map(\.resource)) {
            if let reason = resources.reopen(name, types: program.types) {
                log("stored effects name resource '\(name)', which cannot be reopened (\(reason)); they stay stored")
            }
        }
        for row in stored {
            if let effect = ResourceEffect(stored: row, program: program, resources: resources) {
                effects.append(effect)
            } else {
                log("a stored effect on '\(row.resource)' (\(row.operation)) cannot be carried out by this program; it stays stored")
            }
        }
        pump.submit(sequence: 0, effects: effects)
    }

    /// Runs the consuming turn of one message, blocking until it is durable. Its ack is one of the turn's
    /// effects: it reaches the queue only if the turn commits.
    func consume(cell: String, binding: String, queue: String, message: QueueMessage, element: SomaType) -> TurnError? {
        let started = ContinuousClock.now
        let program = self.program
        var failure: TurnError?
        var sequence: UInt64 = 0
        var sends: [PendingSignal] = []
        do {
            let stored = program.version(of: element)
            guard message.version <= stored else {
                throw TurnError(.runtime, "message \(message.id) is of version \(message.version) of \(element); this program reads up to version \(stored)")
            }
            let value: Value
            do {
                let json = try JSONValue.parse(message.body)
                if message.version < stored {
                    // Pushed by an older version: migrated as it is consumed, before the handler sees it.
                    value = try ValueUpgrader(program: program).upgrade(json, from: ValueUpgrader.element(element, writtenAt: message.version), to: element, path: binding)
                } else {
                    value = try program.codec.decode(json, as: element, path: binding)
                }
            } catch {
                throw TurnError(.runtime, "message \(message.id) does not read as \(element): \(error)")
            }
            guard let handler = program.cells[cell]?.handlers[binding], let parameter = handler.parameters.first else {
                throw TurnError(.runtime, "cell '\(cell)' has no handler for queue '\(binding)'")
            }
            let argument = parameter.name, messageID = message.id
            let result = lanes.lane(cell).runHereOrOnLane { [self] in
                Result { () throws(TurnError) in
                    try runTurn(cell: cell, handler: { $0.handlers[binding] }, arguments: [argument: value], removing: nil, consumed: (queue, messageID))
                }
            }
            (_, sequence, sends) = try result.get()
            try store.waitUntilDurableBlocking(sequence)
        } catch let error as TurnError {
            failure = error
        } catch {
            failure = storageFailure(error)
        }
        observe(cell: cell, trigger: binding, since: started, error: failure)
        if failure == nil { for signal in sends { deliver(signal) } }
        return failure
    }
}

extension TurnEngine {
    /// How many effects each resource refused for good (set aside, never retried).
    public var setAsideCounts: [String: Int] { pump.setAside }

    /// The effects set aside because their resource refused them, with the error each got.
    public func setAsideEffects(resource: String? = nil) throws -> [SetAsideEffect] {
        let all = try store.setAsideEffects()
        return resource.map { name in all.filter { $0.resource == name } } ?? all
    }
}

extension TurnEngine {
    /// Each open queue's dead letters, for /metrics; a queue that does not answer is left out.
    public func deadLetterCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for name in resources.queueNames {
            if let stats = try? resources.queue(name)?.turnClient.stats() { counts[name] = stats.dead }
        }
        return counts
    }
}
