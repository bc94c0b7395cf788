import SomaDiagnostics
import SomaSyntax

extension Checker {
    static let builtinTypeNames: Set<String> = [
        "Int", "Float", "Bool", "String", "Bytes", "Unit", "Time", "Duration", "Json", "List", "Set", "Map", "Option",
        "QueueService", "Database", "Table",
    ]

    /// Where a type is written decides whether a `Table<T>` or a database schema may stand there.
    enum TypePosition {
        case ordinary
        case schemaField
        case databaseSchema
    }

    /// Which declarations names resolve against: the program's own, or the old program's (`--against`).
    enum Namespace {
        case current
        case snapshot
    }

    // MARK: - Collecting

    mutating func collectTypes() {
        for case .type(let declaration) in declarations {
            if Self.builtinTypeNames.contains(declaration.name) {
                error(.duplicate, "'\(declaration.name)' is a built-in type", at: declaration.nameSpan, hint: "choose another name")
                continue
            }
            if typeDeclarations[declaration.name] != nil {
                error(.duplicate, "type '\(declaration.name)' is declared twice", at: declaration.nameSpan)
                continue
            }
            typeDeclarations[declaration.name] = declaration
            if case .record(let fields) = declaration.body, !fields.isEmpty,
               fields.allSatisfy({ if case .named("Table", _) = $0.type.kind { return true } else { return false } }) {
                schemaNames.insert(declaration.name)
            }
        }
        for case .type(let declaration) in declarations where typeDeclarations[declaration.name]?.nameSpan == declaration.nameSpan {
            guard !isAlias(declaration) else { continue }
            if let named = resolveNamed(declaration, namespace: .current) {
                table.insert(named, key: declaration.name)
            }
        }
        for case .type(let declaration) in declarations where isAlias(declaration) {
            _ = aliasTarget(declaration.name)
        }
        // Only now is every row type in the table, however the declarations are ordered.
        for name in schemaNames.sorted() {
            for field in table[name]?.fields ?? [] {
                if case .table(let row) = field.type {
                    requireSerializable(row, at: field.span, what: "the rows of table '\(field.name)'")
                }
            }
        }
    }

    /// `type Id = String` or `type Ids = List<String>` names another type; `type Status = Open` declares a variant.
    func isAlias(_ declaration: TypeDeclaration) -> Bool {
        switch declaration.body {
        case .alias: return true
        case .record: return false
        case .variant(let cases):
            guard cases.count == 1, cases[0].fields.isEmpty else { return false }
            let target = cases[0].name
            return Self.builtinTypeNames.contains(target) || (typeDeclarations[target] != nil && target != declaration.name)
        }
    }

    mutating func aliasTarget(_ name: String) -> SomaType {
        if let cached = aliasCache[name] { return cached }
        guard let declaration = typeDeclarations[name] else { return .unknown }
        guard aliasesInProgress.insert(name).inserted else {
            error(.recursiveType, "type alias '\(name)' refers to itself", at: declaration.nameSpan)
            aliasCache[name] = .unknown
            return .unknown
        }
        defer { aliasesInProgress.remove(name) }
        let syntax: TypeSyntax
        switch declaration.body {
        case .alias(let target): syntax = target
        case .variant(let cases): syntax = TypeSyntax(.named(cases[0].name, arguments: []), span: cases[0].span)
        case .record: return .named(name)
        }
        let resolved = resolve(syntax)
        aliasCache[name] = resolved
        return resolved
    }

    mutating func resolveNamed(_ declaration: TypeDeclaration, namespace: Namespace) -> NamedType? {
        let version = declaration.version ?? 1
        if let versionSpan = declaration.versionSpan, version < 1 {
            error(.versionGap, "versions start at 1", at: versionSpan)
        }
        let isSchema = namespace == .current && schemaNames.contains(declaration.name)
        switch declaration.body {
        case .record(let fields):
            return NamedType(name: declaration.name, version: version,
                             shape: .record(resolveFields(fields, owner: declaration.name, namespace: namespace, schema: isSchema)),
                             span: declaration.span)
        case .variant(let cases):
            var seen: Set<String> = []
            var resolved: [NamedType.Case] = []
            for variantCase in cases {
                guard seen.insert(variantCase.name).inserted else {
                    if namespace == .current { error(.duplicate, "variant case '\(variantCase.name)' appears twice in '\(declaration.name)'", at: variantCase.span) }
                    continue
                }
                resolved.append(NamedType.Case(name: variantCase.name,
                                               fields: resolveFields(variantCase.fields, owner: variantCase.name, namespace: namespace, schema: false),
                                               span: variantCase.span))
            }
            return NamedType(name: declaration.name, version: version, shape: .variant(resolved), span: declaration.span)
        case .alias:
            return nil
        }
    }

    mutating func resolveFields(_ fields: [FieldDeclaration], owner: String, namespace: Namespace, schema: Bool) -> [NamedType.Field] {
        var seen: Set<String> = []
        var result: [NamedType.Field] = []
        let report = namespace == .current
        for field in fields {
            guard seen.insert(field.name).inserted else {
                if report { error(.duplicate, "field '\(field.name)' appears twice in '\(owner)'", at: field.span) }
                continue
            }
            let type = namespace == .current
                ? resolve(field.type, position: schema ? .schemaField : .ordinary)
                : resolveSnapshot(field.type)
            var alias: String?
            var isKey = false
            for attribute in field.attributes {
                switch attribute.name {
                case "alias":
                    if attribute.arguments.count == 1, case .string(let parts) = attribute.arguments[0].kind, parts.count <= 1,
                       case .text(let old)? = parts.first ?? .text("") {
                        alias = old
                    } else if report {
                        error(.syntax, "@alias takes the old field name in quotes, as in @alias(\"name\")", at: attribute.span)
                    }
                case "key":
                    isKey = true
                default:
                    if report { error(.unknownName, "unknown field attribute '@\(attribute.name)'", at: attribute.span, hint: "fields take @alias(\"old\") and @key") }
                }
            }
            result.append(NamedType.Field(name: field.name, type: type, alias: alias, hasDefault: field.defaultValue != nil, isKey: isKey, span: field.span))
        }
        return result
    }

    // MARK: - Resolving written types

    mutating func resolve(_ syntax: TypeSyntax, position: TypePosition = .ordinary) -> SomaType {
        switch syntax.kind {
        case .invalid:
            return .unknown
        case .function(let parameters, let result):
            return .function(parameters.map { resolve($0) }, resolve(result))
        case .named(let name, let arguments):
            if let builtin = resolveBuiltin(name, arguments, syntax, position: position) { return builtin }
            guard arguments.isEmpty else {
                if typeDeclarations[name] != nil {
                    error(.arity, "'\(name)' takes no type arguments", at: syntax.span)
                    return .unknown
                }
                return unknownType(name, syntax.span)
            }
            guard let declaration = typeDeclarations[name] else { return unknownType(name, syntax.span) }
            if isAlias(declaration) { return aliasTarget(name) }
            if schemaNames.contains(name) && position != .databaseSchema {
                error(.tableOutsideSchema, "'\(name)' holds tables: it can only be the schema of a Database", at: syntax.span,
                      hint: "use it as Database<\(name)>(\"name\")")
                return .unknown
            }
            return .named(name)
        }
    }

    mutating func unknownType(_ name: String, _ span: SourceSpan) -> SomaType {
        let candidates = Array(typeDeclarations.keys) + Array(Self.builtinTypeNames)
        error(.unknownType, "unknown type '\(name)'", at: span, hint: Self.suggestion(for: name, among: candidates))
        return .unknown
    }

    mutating func resolveBuiltin(_ name: String, _ arguments: [TypeSyntax], _ syntax: TypeSyntax, position: TypePosition) -> SomaType? {
        func expectArguments(_ count: Int, _ checker: inout Checker) -> Bool {
            guard arguments.count == count else {
                checker.error(.arity, "'\(name)' takes \(count) type argument\(count == 1 ? "" : "s"), got \(arguments.count)", at: syntax.span)
                return false
            }
            return true
        }
        let scalars: [String: SomaType] = [
            "Int": .int, "Float": .float, "Bool": .bool, "String": .string, "Bytes": .bytes, "Unit": .unit,
            "Time": .time, "Duration": .duration, "Json": .json,
        ]
        if let scalar = scalars[name] {
            if !arguments.isEmpty { error(.arity, "'\(name)' takes no type arguments", at: syntax.span) }
            return scalar
        }
        switch name {
        case "List", "Set":
            if arguments.isEmpty { return name == "List" ? .list(.json) : .set(.json) }
            guard expectArguments(1, &self) else { return .unknown }
            let element = resolve(arguments[0])
            return name == "List" ? .list(element) : .set(element)
        case "Option":
            guard expectArguments(1, &self) else { return .unknown }
            return .option(resolve(arguments[0]))
        case "Map":
            if arguments.isEmpty { return .map(.string, .json) }
            guard expectArguments(2, &self) else { return .unknown }
            let key = resolve(arguments[0])
            if ![.int, .string, .bool, .unknown].contains(key) {
                error(.typeMismatch, "map keys must be Int, String or Bool, not \(key)", at: arguments[0].span)
            }
            return .map(key, resolve(arguments[1]))
        case "QueueService":
            guard expectArguments(1, &self) else { return .unknown }
            return .queue(resolve(arguments[0]))
        case "Database":
            guard expectArguments(1, &self) else { return .unknown }
            let schema = resolve(arguments[0], position: .databaseSchema)
            switch schema {
            case .unknown:
                return .database(.unknown)
            case .named(let key) where schemaNames.contains(key):
                return .database(schema)
            case .named(let key):
                error(.invalidResource, "the schema of a Database is a record of tables, and '\(key)' is not one", at: arguments[0].span,
                      hint: "declare it as type \(key)Db = { rows: Table<\(key)> }")
            default:
                error(.invalidResource, "the schema of a Database is a record of tables, not \(schema)", at: arguments[0].span)
            }
            return .database(.unknown)
        case "Table":
            guard expectArguments(1, &self) else { return .unknown }
            let row = resolve(arguments[0])
            guard position == .schemaField else {
                error(.tableOutsideSchema, "a Table can only be a field of a database schema", at: syntax.span,
                      hint: "declare type MyDb = { rows: Table<Row> } and provision Database<MyDb>(\"name\")")
                return .unknown
            }
            if case .named(let key) = row, let rowType = typeDeclarations[key], case .record(let fields) = rowType.body {
                let hasKey = fields.contains { $0.name == "id" || $0.attribute("key") != nil }
                if !hasKey {
                    error(.missingKey, "rows of Table<\(key)> need a key: a field marked @key, or a field named 'id'", at: syntax.span)
                }
            } else if row != .unknown {
                error(.typeMismatch, "a Table holds records, not \(row)", at: arguments[0].span)
            }
            return .table(row)
        default:
            return nil
        }
    }

    // MARK: - Old shapes (--against)

    /// Registers the old program's records and variants under `Name@version`, so a migration's `old` parameter
    /// has the shape the stored data really has.
    mutating func collectSnapshots(_ old: [Declaration]) {
        for case .type(let declaration) in old {
            snapshotKeys[declaration.name] = "\(declaration.name)@\(declaration.version ?? 1)"
        }
        for case .type(let declaration) in old {
            guard let key = snapshotKeys[declaration.name], let named = resolveNamed(declaration, namespace: .snapshot) else { continue }
            table.insert(named, key: key)
        }
    }

    mutating func resolveSnapshot(_ syntax: TypeSyntax) -> SomaType {
        switch syntax.kind {
        case .named(let name, let arguments) where arguments.isEmpty:
            if let key = snapshotKeys[name] { return .named(key) }
            let scalars: [String: SomaType] = ["Int": .int, "Float": .float, "Bool": .bool, "String": .string, "Bytes": .bytes,
                                                "Unit": .unit, "Time": .time, "Duration": .duration, "Json": .json, "Map": .map(.string, .json), "List": .list(.json)]
            return scalars[name] ?? .unknown
        case .named(let name, let arguments):
            let resolved = arguments.map { resolveSnapshot($0) }
            switch (name, resolved.count) {
            case ("List", 1): return .list(resolved[0])
            case ("Set", 1): return .set(resolved[0])
            case ("Option", 1): return .option(resolved[0])
            case ("Map", 2): return .map(resolved[0], resolved[1])
            case ("Table", 1): return .table(resolved[0])
            default: return .unknown
            }
        default:
            return .unknown
        }
    }
}
