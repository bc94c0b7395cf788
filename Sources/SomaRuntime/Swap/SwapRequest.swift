import SomaChecker
import SomaProtocol

/// A swap as the running program receives it: the new program (checked against the running one, so it knows
/// the old shapes), what changes, and where the dry run may write its copies.
public struct SwapRequest: Sendable {
    public var program: RuntimeProgram
    public var analysis: SwapAnalysis
    public var fromVersion: Int
    public var toVersion: Int
    /// A folder for the dry run's copies of database resources.
    public var scratchFolder: String
    /// For a rollback: the earlier version whose code `program` is.
    public var restores: Int?
    /// `--strict-face`: a signal whose accepted or returned shape changes refuses the swap.
    public var strictFace: Bool

    public init(program: RuntimeProgram, analysis: SwapAnalysis, fromVersion: Int, toVersion: Int, scratchFolder: String, restores: Int? = nil,
                strictFace: Bool = false) {
        self.restores = restores
        self.strictFace = strictFace
        self.program = program
        self.analysis = analysis
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.scratchFolder = scratchFolder
    }
}

/// A swap that did not happen, with its plan (which says why).
public struct SwapRefused: Error, Sendable {
    public var plan: SwapPlan
}
