import SomaDiagnostics
import SomaProtocol

/// The first value of a slot a swap could not migrate: which slot, which key (as stored), and why.
struct SlotMigrationFailure: Error, Sendable, CustomStringConvertible {
    var cell: String
    var slot: String
    var key: String
    var reason: String
    var description: String { "\(cell).\(slot)\(key.isEmpty ? "" : " key \(key)"): \(reason)" }

    /// As a swap's `migration-fails` refusal.
    var refusal: SwapPlan.Refusal {
        .init(code: DiagnosticCode.migrationFails.rawValue,
              message: "migrating \(cell).\(slot) fails\(key.isEmpty ? "" : " on key \(key)"): \(reason)",
              hint: "fix the migration (or the value) and swap again; nothing was changed")
    }
}
