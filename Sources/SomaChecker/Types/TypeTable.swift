import SomaDiagnostics

/// A declared record or variant, resolved.
public struct NamedType: Sendable {
    public struct Field: Sendable {
        public var name: String
        public var type: SomaType
        /// `@alias("old")`: data written under the old name still reads.
        public var alias: String?
        public var hasDefault: Bool
        public var isKey: Bool
        public var span: SourceSpan

        /// May be left out of a literal: it has a default or is optional.
        public var isOptional: Bool { hasDefault || type.optionWrapped != nil }
    }
    public struct Case: Sendable {
        public var name: String
        public var fields: [Field]
        public var span: SourceSpan
    }
    public enum Shape: Sendable {
        case record([Field])
        case variant([Case])
    }

    public var name: String
    /// The key in the type table: the name, or `Name@version` for an old shape.
    public var key: String = ""
    public var version: Int
    public var shape: Shape
    public var span: SourceSpan

    public var fields: [Field] {
        if case .record(let fields) = shape { return fields }
        return []
    }
    public var cases: [Case] {
        if case .variant(let cases) = shape { return cases }
        return []
    }
    public var isRecord: Bool {
        if case .record = shape { return true }
        return false
    }
    public func field(_ name: String) -> Field? { fields.first { $0.name == name } }
    public func variantCase(_ name: String) -> Case? { cases.first { $0.name == name } }

    /// A record whose fields are all tables: the schema of a `Database<S>`.
    public var isDatabaseSchema: Bool {
        guard isRecord, !fields.isEmpty else { return false }
        return fields.allSatisfy { if case .table = $0.type { return true } else { return false } }
    }
}

/// Every declared type by key, with the index of variant cases by name.
public struct TypeTable: Sendable {
    public internal(set) var types: [String: NamedType] = [:]
    /// Case name → the variant types that declare it.
    public internal(set) var caseOwners: [String: [String]] = [:]

    public subscript(key: String) -> NamedType? { types[key] }

    mutating func insert(_ type: NamedType, key: String) {
        var type = type
        type.key = key
        types[key] = type
        for variantCase in type.cases {
            caseOwners[variantCase.name, default: []].append(key)
        }
    }
}
