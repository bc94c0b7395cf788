import SomaResources

/// The turns nobody asked for: `every` timers and queue consumers, kept by `background`.
extension TurnEngine {
    func startBackground(_ program: RuntimeProgram) {
        startTimers(program)
        startConsumers(program)
    }

    /// One task per `every` handler, each running its turn on time.
    func startTimers(_ program: RuntimeProgram) {
        var started: [Task<Void, Never>] = []
        for name in program.cellOrder {
            for handler in program.cells[name]?.timers ?? [] {
                guard case .every(let milliseconds) = handler.trigger, milliseconds > 0 else { continue }
                started.append(Task { [weak self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(milliseconds))
                        guard let self, !Task.isCancelled else { return }
                        let every = handler.trigger
                        _ = try? await self.run(cell: name, trigger: "every \(milliseconds)ms",
                                                handler: { $0.timers.first { $0.trigger == every } }, arguments: [:], removing: nil)
                    }
                })
            }
        }
        background.add(timers: started)
    }

    /// Stops the timers and the queue consumers (each finishes the turn it runs); the effect pump goes on.
    func stopBackground() {
        background.stop()
    }

    /// One consumer per `on BINDING(msg)` handler of a queue binding.
    func startConsumers(_ program: RuntimeProgram) {
        var started: [QueueConsumer] = []
        for name in program.cellOrder {
            guard let cell = program.cells[name] else { continue }
            for model in cell.model.resources where model.kind == .queue {
                guard cell.handlers[model.binding] != nil, let queueName = model.name, let queue = resources.queue(queueName) else { continue }
                let consumer = QueueConsumer(engine: self, cell: name, binding: model.binding, queue: queue)
                consumer.start()
                started.append(consumer)
            }
        }
        background.add(consumers: started)
    }
}
