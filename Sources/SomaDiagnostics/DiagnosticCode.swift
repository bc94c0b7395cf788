/// A stable, documented identifier for a kind of diagnostic. Users and tools match on these;
/// renaming one is a breaking change (docs/checker.md lists them all).
public struct DiagnosticCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    // Reading the program
    public static let syntax = DiagnosticCode("syntax")
    public static let invalidLiteral = DiagnosticCode("invalid-literal")
    public static let tooComplex = DiagnosticCode("too-complex")
    public static let io = DiagnosticCode("io")
    public static let config = DiagnosticCode("config")

    // Names
    public static let unknownName = DiagnosticCode("unknown-name")
    public static let unknownType = DiagnosticCode("unknown-type")
    public static let unknownField = DiagnosticCode("unknown-field")
    public static let unknownSignal = DiagnosticCode("unknown-signal")
    public static let unknownState = DiagnosticCode("unknown-state")
    public static let unknownSlot = DiagnosticCode("unknown-slot")
    public static let unknownHost = DiagnosticCode("unknown-host")
    public static let unknownProperty = DiagnosticCode("unknown-property")
    public static let duplicate = DiagnosticCode("duplicate")

    // Types
    public static let typeMismatch = DiagnosticCode("type-mismatch")
    public static let arity = DiagnosticCode("arity")
    public static let missingField = DiagnosticCode("missing-field")
    public static let immutable = DiagnosticCode("immutable")
    public static let notSerializable = DiagnosticCode("not-serializable")
    public static let nonExhaustive = DiagnosticCode("non-exhaustive")
    public static let impure = DiagnosticCode("impure")
    public static let invalidResource = DiagnosticCode("invalid-resource")
    public static let tableOutsideSchema = DiagnosticCode("table-outside-schema")
    public static let missingKey = DiagnosticCode("missing-key")
    public static let recursiveType = DiagnosticCode("recursive-type")

    // Cells
    public static let missingHandler = DiagnosticCode("missing-handler")
    public static let extraHandler = DiagnosticCode("extra-handler")
    public static let invariantScans = DiagnosticCode("invariant-scans")

    // Distribution (LANGUAGE.md §8)
    public static let ephemeralStrongShard = DiagnosticCode("ephemeral-strong-shard")
    public static let localShard = DiagnosticCode("local-shard")
    public static let localConsistent = DiagnosticCode("local-consistent")
    public static let conflictingProperties = DiagnosticCode("conflicting-properties")
    public static let consistentSlotEventualCell = DiagnosticCode("consistent-slot-eventual-cell")
    public static let toleranceExceedsReplicas = DiagnosticCode("tolerance-exceeds-replicas")
    public static let quorumUnreachable = DiagnosticCode("quorum-unreachable")
    public static let invalidScale = DiagnosticCode("invalid-scale")

    // Versions
    public static let missingMigration = DiagnosticCode("missing-migration")
    public static let versionGap = DiagnosticCode("version-gap")
    public static let migrationType = DiagnosticCode("migration-type")

    // Swap compatibility (LANGUAGE.md §10)
    public static let incompatibleChange = DiagnosticCode("incompatible-change")
    public static let migrationFails = DiagnosticCode("migration-fails")
    /// An invariant of the new version does not hold over the live data as the swap would leave it.
    public static let invariantBroken = DiagnosticCode("invariant-broken")
    public static let stateRemovedLive = DiagnosticCode("state-removed-live")
    public static let slotDropped = DiagnosticCode("slot-dropped")
    public static let slotWeakened = DiagnosticCode("slot-weakened")
    public static let faceBreak = DiagnosticCode("face-break")
    public static let queueTypeChange = DiagnosticCode("queue-type-change")

    // State machines and verification (LANGUAGE.md §9)
    public static let unreachableState = DiagnosticCode("unreachable-state")
    public static let verifyUnknownState = DiagnosticCode("verify-unknown-state")
    public static let verifyFailed = DiagnosticCode("verify-failed")
    public static let verifyInvalid = DiagnosticCode("verify-invalid")
}
