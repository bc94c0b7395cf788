import SomaProtocol

/// A `send` committed and waiting to be delivered as a turn of its target cell.
struct PendingSignal: Sendable {
    var id: Int64
    var cell: String
    var signal: String
    var arguments: [String: Value]
}

extension PendingSignal {
    /// The arguments as the store keeps them: a JSON object in the signal's parameter order.
    func encodedArguments(in program: RuntimeProgram) -> String {
        guard let model = program.cells[cell]?.model.signal(self.signal) else { return "{}" }
        var writer = JSONWriter()
        writer.raw("{")
        for (index, parameter) in model.parameters.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.string(parameter.name)
            writer.raw(":")
            program.codec.write(arguments[parameter.name] ?? .null, as: parameter.type, into: &writer)
        }
        writer.raw("}")
        return writer.text
    }
}
