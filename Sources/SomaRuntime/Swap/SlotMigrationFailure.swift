/// The first value of a slot a swap could not migrate: which slot, which key (as stored), and why.
struct SlotMigrationFailure: Error, Sendable, CustomStringConvertible {
    var cell: String
    var slot: String
    var key: String
    var reason: String
    var description: String { "\(cell).\(slot)\(key.isEmpty ? "" : " key \(key)"): \(reason)" }
}
