import SomaDiagnostics

public struct Block: Hashable, Sendable {
    public var statements: [Statement]
    public var span: SourceSpan

    public init(statements: [Statement], span: SourceSpan) {
        self.statements = statements
        self.span = span
    }
}

public struct Statement: Hashable, Sendable {
    public var kind: Kind
    public var span: SourceSpan

    public init(_ kind: Kind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }

    public enum Kind: Hashable, Sendable {
        /// `let x = e`, `var x: T = e`
        case binding(name: String, nameSpan: SourceSpan, type: TypeSyntax?, value: Expression, mutable: Bool)
        case assign(target: Expression, value: Expression)
        case forIn(name: String, nameSpan: SourceSpan, sequence: Expression, body: Block)
        /// `send Cell.signal(args)`: delivered if and only if this turn commits.
        case send(cell: String, signal: String, arguments: [Argument], targetSpan: SourceSpan)
        case assert(condition: Expression, message: Expression?)
        case expression(Expression)
    }
}
