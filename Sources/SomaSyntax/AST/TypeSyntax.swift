import SomaDiagnostics

/// A type as written: `Int`, `Map<String, Order>`, `fn(Int) -> Bool`.
public struct TypeSyntax: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        case named(String, arguments: [TypeSyntax])
        case function(parameters: [TypeSyntax], result: TypeSyntax)
        /// Where a type was expected but could not be parsed (already reported).
        case invalid
    }
    public var kind: Kind
    public var span: SourceSpan

    public init(_ kind: Kind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }

    public var description: String {
        switch kind {
        case .named(let name, let arguments):
            return arguments.isEmpty ? name : "\(name)<\(arguments.map(\.description).joined(separator: ", "))>"
        case .function(let parameters, let result):
            return "fn(\(parameters.map(\.description).joined(separator: ", "))) -> \(result.description)"
        case .invalid:
            return "<invalid>"
        }
    }
}
