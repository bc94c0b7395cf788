import Foundation
import SomaDiagnostics
import SomaProtocol

extension CheckReport {
    struct Document: Codable {
        var file: String
        var ok: Bool
        var errors: Int
        var warnings: Int
        var diagnostics: [DiagnosticJSON]
        var cells: [Cell]
    }
    struct Cell: Codable {
        var name: String
        var signals: [Signal]
        var slots: [Slot]
        var resources: [Resource]
        var scale: Scale
        var machines: [Machine]
    }
    struct Signal: Codable {
        var name: String
        var parameters: [Field]
        var result: String
    }
    struct Field: Codable {
        var name: String
        var type: String
    }
    struct Slot: Codable {
        var name: String
        var type: String
        var properties: [String]
    }
    struct Resource: Codable {
        var binding: String
        var kind: String
        var element: String
        @Nullable var name: String?
        @Nullable var engine: String?
        var host: String
    }
    struct Scale: Codable {
        var replicas: Int
        var tolerance: Int
        var consistency: String
        @Nullable var quorum: Int?
        @Nullable var shard: String?
        var localSlots: [String]

        // snake_case, as every other --json prints its keys.
        enum CodingKeys: String, CodingKey {
            case replicas, tolerance, consistency, quorum, shard
            case localSlots = "local_slots"
        }
    }
    struct Machine: Codable {
        var name: String
        var states: [String]
        @Nullable var initial: String?
        var final: [String]
        var properties: [Property]
    }
    struct Property: Codable {
        var property: String
        var holds: Bool
        var detail: String
    }

    /// The same findings as `text()`, as one JSON document (`soma check --json`).
    public func json() -> String {
        let renderer = DiagnosticRenderer(sources: outcome.sources)
        let cells = outcome.cells.map { cell in
            Cell(
                name: cell.name,
                signals: cell.signals.map { Signal(name: $0.name, parameters: $0.parameters.map { Field(name: $0.name, type: "\($0.type)") }, result: "\($0.result)") },
                slots: cell.slots.map { Slot(name: $0.name, type: "\($0.type)", properties: $0.properties.summary.components(separatedBy: ", ")) },
                resources: cell.resources.map { Resource(binding: $0.binding, kind: $0.kind.rawValue, element: "\($0.element)", name: $0.name, engine: $0.engine, host: $0.host ?? "local") },
                scale: Scale(replicas: cell.scale.replicas, tolerance: cell.scale.tolerance, consistency: cell.scale.consistency.rawValue,
                             quorum: cell.scale.consistency == .strong ? cell.scale.quorum : nil, shard: cell.scale.shard,
                             localSlots: cell.slots.filter(\.properties.local).map(\.name)),
                machines: outcome.verifications.filter { $0.machine.cell == cell.name }.map { verification in
                    Machine(name: verification.machine.name, states: verification.machine.states, initial: verification.machine.states.first,
                            final: verification.machine.finals,
                            properties: verification.results.map { Property(property: $0.property, holds: $0.holds, detail: $0.detail) })
                })
        }
        let document = Document(file: outcome.program.root.path, ok: !outcome.hasErrors, errors: outcome.errorCount, warnings: outcome.warningCount,
                                diagnostics: outcome.diagnostics.map(renderer.jsonObject), cells: cells)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(document) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
