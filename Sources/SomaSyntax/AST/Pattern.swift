import SomaDiagnostics

public struct Pattern: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        case wildcard
        /// A bare name: a binding, or a payload-less variant case when the scrutinee has one by that name.
        case name(String)
        case literal(Expression)
        case some(Pattern)
        case none
        /// `Shipped(tracking: t)`, `Shipped(t)`, `Status.Open`.
        case variant(typeName: String?, caseName: String, arguments: [PatternArgument])
        case invalid
    }
    public var kind: Kind
    public var span: SourceSpan

    public init(_ kind: Kind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

public struct PatternArgument: Hashable, Sendable {
    public var label: String?
    public var pattern: Pattern
}
