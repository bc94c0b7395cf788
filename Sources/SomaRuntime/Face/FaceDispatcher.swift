import SomaChecker

/// The one path from a face call to a turn, shared by HTTP and `soma send`: finds the signal, decodes the
/// JSON parameters against its types (400 and the field on a mismatch), runs the turn and encodes the result.
public struct FaceDispatcher: Sendable {
    public let engine: TurnEngine

    public init(engine: TurnEngine) {
        self.engine = engine
    }

    /// Decoding, the turn and encoding all use the program current when the call passes the swap gate.
    public func call(cell: String, signal: String, body: [UInt8]) async -> FaceResponse {
        await engine.admit { program in await call(cell: cell, signal: signal, body: body, program: program) }
    }

    func call(cell: String, signal: String, body: [UInt8], program: RuntimeProgram) async -> FaceResponse {
        guard let cellProgram = program.cells[cell] else {
            return .error(404, code: "unknown-cell", message: "no cell '\(cell)'; cells are \(program.cellOrder.joined(separator: ", "))")
        }
        guard let model = cellProgram.model.signal(signal) else {
            let names = cellProgram.model.signals.map(\.name).joined(separator: ", ")
            return .error(404, code: "unknown-signal", message: "cell '\(cell)' has no signal '\(signal)'; its face has \(names)")
        }
        let arguments: [String: Value]
        switch decodeArguments(body, for: model, in: program, cell: cell) {
        case .success(let decoded): arguments = decoded
        case .failure(let response): return response
        }
        do {
            let result = try await engine.invoke(cell: cell, signal: signal, arguments: arguments)
            return FaceResponse(status: 200, body: program.codec.encodeBytes(result, as: model.result))
        } catch {
            let response = Self.response(for: error)
            // A failed call is the program's or the caller's business, but someone reading the log must see it.
            engine.log("\(cell).\(signal) answered \(response.status) \(error.code)\(error.location.map { " at \($0)" } ?? ""): \(error.message)")
            return response
        }
    }

    static func response(for error: TurnError) -> FaceResponse {
        switch error.kind {
        case .fail, .assert, .invariant, .illegalMove:
            return .error(409, code: error.code, message: error.message, location: error.location)
        case .diskFull, .memoryLimit:
            return .error(507, code: error.code, message: error.message)
        default:
            return .error(500, code: error.code, message: error.message, location: error.location)
        }
    }

    /// A parameter value that does not read as its type, but reads as the type the previous version gave it where
    /// the last swap migrated that type, is an old client's: it is read through the migration. Looked up only
    /// then, so a call that decodes pays nothing for it.
    func decodeArguments(_ body: [UInt8], for signal: SignalModel, in program: RuntimeProgram, cell: String) -> ArgumentDecoding {
        let codec = program.codec
        let isBlank = body.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let json: JSONValue
        if isBlank {
            json = .object([:])
        } else {
            do {
                json = try JSONValue.parse(body)
            } catch {
                return .failure(FaceResponse.error(400, code: "malformed-json", message: "the body is not valid JSON: \(error)"))
            }
        }
        guard case .object(let object) = json else {
            return .failure(FaceResponse.error(400, code: "bad-parameters", message: "the body must be a JSON object of the signal's parameters, got \(json.kindName)"))
        }
        var arguments: [String: Value] = [:]
        for parameter in signal.parameters {
            guard let item = object[parameter.name] else {
                if parameter.type.optionWrapped != nil {
                    arguments[parameter.name] = Value.none
                    continue
                }
                return .failure(FaceResponse.error(400, code: "bad-parameters", message: "missing parameter '\(parameter.name)' of type \(parameter.type)", field: parameter.name))
            }
            do {
                arguments[parameter.name] = try codec.decode(item, as: parameter.type, path: parameter.name)
            } catch {
                guard !program.previousParameters.isEmpty, let old = program.previousParameters["\(cell).\(signal.name)"]?[parameter.name],
                      (try? codec.decode(item, as: old)) != nil,
                      let migrated = try? ValueUpgrader(program: program).upgrade(item, from: old, to: parameter.type, path: parameter.name) else {
                    return .failure(FaceResponse.error(400, code: "bad-parameters", message: error.description, field: error.path))
                }
                arguments[parameter.name] = migrated
            }
        }
        let known = Set(signal.parameters.map(\.name))
        if let extra = object.keys.sorted().first(where: { !known.contains($0) }) {
            let expected = signal.parameters.isEmpty ? "it takes none" : "it takes \(signal.parameters.map(\.name).joined(separator: ", "))"
            return .failure(FaceResponse.error(400, code: "bad-parameters", message: "'\(signal.name)' has no parameter '\(extra)'; \(expected)", field: extra))
        }
        return .success(arguments)
    }

    enum ArgumentDecoding {
        case success([String: Value])
        case failure(FaceResponse)
    }
}
