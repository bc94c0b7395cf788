import SomaDiagnostics

/// How one declared type differs between the running version and the new one (LANGUAGE.md §10).
public struct TypeChange: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Same shape.
        case unchanged
        /// Reads the old data as it is: fields added with a default or as Option, variants added, widenings, aliases.
        case compatible
        /// A version bump with its `migrate` chain: stored values are migrated.
        case migrated
        /// Changed in a way old data cannot be read, without a version bump.
        case incompatible
        case added
        case removed
    }

    public var name: String
    public var kind: Kind
    public var oldVersion: Int?
    public var newVersion: Int?
    /// What changed, one phrase each ("field 'note' added (Option)", "field 'buyer' removed").
    public var details: [String]
    public var span: SourceSpan?

    public init(name: String, kind: Kind, oldVersion: Int?, newVersion: Int?, details: [String], span: SourceSpan?) {
        self.name = name
        self.kind = kind
        self.oldVersion = oldVersion
        self.newVersion = newVersion
        self.details = details
        self.span = span
    }
}
