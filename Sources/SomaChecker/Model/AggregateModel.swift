import SomaDiagnostics
import SomaSyntax

/// `m.values().sum()`, `m.values().map(f).sum()` or `m.values().filter(p).count()` in an invariant, where `f` and
/// `p` read nothing but the value (no slot, no clock, no local of the invariant): what it gives changes only by
/// what each write of `m` adds and takes away, so the runtime keeps it instead of reading `m` (docs/state.md,
/// "Invariants").
public struct AggregateModel: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// Of the values, or of `f` of each, all Ints.
        case sum
        /// Of the values for which `p` holds.
        case count
    }

    public var kind: Kind
    public var slot: String
    /// The whole expression (`m.values().map(f).sum()`): where the runtime puts the kept value.
    public var span: SourceSpan
    /// `f` or `p`; nil for the sum of the values themselves.
    public var function: Expression?

    public init(kind: Kind, slot: String, span: SourceSpan, function: Expression?) {
        (self.kind, self.slot, self.span, self.function) = (kind, slot, span, function)
    }
}
