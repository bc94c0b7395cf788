import SomaDiagnostics

/// An expression. `id` is unique within a parse, so later phases can keep side tables (types, resolutions).
public struct Expression: Hashable, Sendable {
    public var id: Int
    public var kind: Kind
    public var span: SourceSpan

    public init(id: Int, kind: Kind, span: SourceSpan) {
        self.id = id
        self.kind = kind
        self.span = span
    }

    public indirect enum Kind: Hashable, Sendable {
        case int(Int)
        case float(Double)
        case bool(Bool)
        case duration(milliseconds: Int)
        case string([StringPart])
        case name(String)
        case member(Expression, name: String, nameSpan: SourceSpan)
        /// `f(x)`, `a.m(x)`, `QueueService<T>("q")`, `Shipped(tracking: t)`.
        case call(callee: Expression, typeArguments: [TypeSyntax], arguments: [Argument])
        case unary(UnaryOperator, Expression)
        case binary(BinaryOperator, Expression, Expression)
        case list([Expression])
        case map([MapEntry])
        /// `Item { sku: "a" }` (type named) or `{ sku: "a" }` (type from context).
        case record(typeName: String?, fields: [FieldInit])
        /// `{ base | field = value }`
        case update(base: Expression, fields: [FieldInit])
        case block(Block)
        case ifElse(condition: Expression, then: Block, else: Expression?)
        case match(Expression, arms: [MatchArm])
        case lambda(parameters: [LambdaParameter], result: TypeSyntax?, body: Expression)
        /// `call Cell.signal(args)`: runs the other cell's turn now.
        case callSignal(cell: String, signal: String, arguments: [Argument], targetSpan: SourceSpan)
        case some(Expression)
        case none
        case fail(Expression)
        case `return`(Expression?)
        /// What the parser put where an expression could not be read (already reported).
        case invalid
    }
}

public enum StringPart: Hashable, Sendable {
    case text(String)
    case interpolation(Expression)
}

public struct Argument: Hashable, Sendable {
    public var label: String?
    public var value: Expression
    public var span: SourceSpan
}

public struct MapEntry: Hashable, Sendable {
    public var key: Expression
    public var value: Expression
}

public struct FieldInit: Hashable, Sendable {
    public var name: String
    public var nameSpan: SourceSpan
    public var value: Expression
}

public struct MatchArm: Hashable, Sendable {
    public var pattern: Pattern
    public var body: Expression
}

public struct LambdaParameter: Hashable, Sendable {
    public var name: String
    public var type: TypeSyntax?
    public var span: SourceSpan
}

public enum UnaryOperator: String, Hashable, Sendable {
    case negate = "-"
    case not = "!"
}

public enum BinaryOperator: String, Hashable, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case and = "&&", or = "||"

    public var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
        default: return false
        }
    }

    public var isArithmetic: Bool {
        switch self {
        case .add, .subtract, .multiply, .divide, .remainder: return true
        default: return false
        }
    }
}
