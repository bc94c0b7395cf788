/// A stored value that did not read when the worker started (a bug, a hand edit, a disk fault). It is kept out
/// of memory and reported; every turn that touches its key fails with `quarantined` until `soma repair` removes
/// or replaces it. The rest of the program serves as usual.
public struct QuarantinedValue: Sendable, Codable, Equatable {
    public var cell: String
    public var slot: String
    /// The key as stored (its JSON text); empty for a slot that is not a Map.
    public var key: String
    /// The type version the stored value claims.
    public var version: Int
    public var error: String
    /// The start of the stored text, enough to recognise it.
    public var stored: String

    public init(cell: String, slot: String, key: String, version: Int, error: String, stored: String) {
        self.cell = cell
        self.slot = slot
        self.key = key
        self.version = version
        self.error = error
        self.stored = stored.count > 200 ? String(stored.prefix(200)) + "…" : stored
    }

    /// `Shop.orders["a1"]`, or `Shop.total` for a slot that is not a Map.
    public var subject: String { Self.subject(cell: cell, slot: slot, key: key) }

    public static func subject(cell: String, slot: String, key: String) -> String {
        key.isEmpty ? "\(cell).\(slot)" : "\(cell).\(slot)[\(key)]"
    }
}
