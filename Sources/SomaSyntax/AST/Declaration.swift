import SomaDiagnostics

/// A top-level declaration of a source file.
public enum Declaration: Hashable, Sendable {
    case use(UseDeclaration)
    case type(TypeDeclaration)
    case migrate(MigrateDeclaration)
    case migrateState(MigrateStateDeclaration)
    case function(FunctionDeclaration)
    case cell(CellDeclaration)
}

public struct UseDeclaration: Hashable, Sendable {
    public var path: String
    public var span: SourceSpan
}

public struct Attribute: Hashable, Sendable {
    public var name: String
    public var arguments: [Expression]
    public var span: SourceSpan
}

public struct FieldDeclaration: Hashable, Sendable {
    public var name: String
    public var type: TypeSyntax
    public var attributes: [Attribute]
    public var defaultValue: Expression?
    public var span: SourceSpan

    public func attribute(_ name: String) -> Attribute? {
        attributes.first { $0.name == name }
    }
}

public struct VariantCase: Hashable, Sendable {
    public var name: String
    public var fields: [FieldDeclaration]
    public var span: SourceSpan
}

public struct TypeDeclaration: Hashable, Sendable {
    public enum Body: Hashable, Sendable {
        case record([FieldDeclaration])
        case variant([VariantCase])
        case alias(TypeSyntax)
    }
    public var name: String
    public var nameSpan: SourceSpan
    /// `@version(n)`; nil means version 1.
    public var version: Int?
    public var versionSpan: SourceSpan?
    public var body: Body
    public var span: SourceSpan
}

/// `migrate T from a to b = fn(old) -> T { ... }`
public struct MigrateDeclaration: Hashable, Sendable {
    public var typeName: String
    public var typeSpan: SourceSpan
    public var from: Int
    public var to: Int
    public var function: Expression
    public var span: SourceSpan

    /// `from 2 to 1`: a step back, which `soma rollback` uses.
    public var isReverse: Bool { to < from }
}

/// `migrate state Cell.machine { old => new }`
public struct MigrateStateDeclaration: Hashable, Sendable {
    public struct Rename: Hashable, Sendable {
        public var from: String
        public var to: String
        public var span: SourceSpan
    }
    public var cell: String
    public var machine: String
    public var renames: [Rename]
    public var span: SourceSpan
}

public struct Parameter: Hashable, Sendable {
    public var name: String
    public var type: TypeSyntax
    public var span: SourceSpan
}

public struct FunctionDeclaration: Hashable, Sendable {
    public var name: String
    public var nameSpan: SourceSpan
    public var parameters: [Parameter]
    public var result: TypeSyntax?
    public var body: Block
    public var span: SourceSpan
}
