import SomaDiagnostics
import SomaSyntax

/// Checks a parsed program: names, types, cells, versions and distribution. One instance checks one program;
/// its results are the diagnostics and the models the runtime executes against.
struct Checker {
    struct Local {
        var type: SomaType
        var mutable: Bool
    }

    /// Where a body is being checked: it decides which names are in scope and which effects are allowed.
    struct BodyContext {
        enum Kind { case handler, function, invariant, migration, initializer }
        var kind: Kind
        var cell: String?
        /// What `return` must give.
        var result: SomaType?
        var allowsEffects: Bool { kind == .handler }
    }

    struct FunctionSignature {
        var name: String
        var parameters: [Parameter]
        var parameterTypes: [SomaType]
        var result: SomaType
        var span: SourceSpan
    }

    var diagnostics = DiagnosticList()
    var table = TypeTable()
    let config: ProjectConfig
    let declarations: [Declaration]
    let oldDeclarations: [Declaration]?
    /// Checked against a later version (`soma rollback`): this program's own `migrate state` renames name
    /// states of the version before it, not of the one it is checked against.
    var isRollback = false

    // Declared names
    var typeDeclarations: [String: TypeDeclaration] = [:]
    /// Records written with only Table fields: the schemas a Database may take.
    var schemaNames: Set<String> = []
    var aliasCache: [String: SomaType] = [:]
    var aliasesInProgress: Set<String> = []
    /// For `--against`: the old program's type name → its key in the table (`Order@1`).
    var snapshotKeys: [String: String] = [:]
    var functions: [String: FunctionSignature] = [:]
    var cells: [String: CellModel] = [:]
    var cellOrder: [String] = []
    var cellDeclarations: [String: CellDeclaration] = [:]
    /// Resource names across the app: the same name must always mean the same resource.
    var resourceNames: [String: ResourceModel] = [:]
    /// Every resource constructor in the program (bindings and calls in handlers), in the order checked.
    var constructedResources: [ResourceModel] = []

    // Results
    var expressionTypes: [Int: SomaType] = [:]
    /// Expressions whose dynamic value must be checked against a static type when it runs (see CheckOutcome).
    var coercions: [Int: SomaType] = [:]

    // While checking a body
    var scopes: [[String: Local]] = []
    var context = BodyContext(kind: .function)
    /// Set just before checking an expression whose value is discarded (a statement).
    var discardsNextValue = false
    /// What the body being checked reads, while an invariant or a function is checked (Checker+Reads).
    var reads: InvariantReads?
    /// Where the invariant being checked reads a Map whole.
    var scans: [(slot: String, span: SourceSpan, how: String)] = []
    /// Sums and counts the runtime can keep, found in the invariant being checked.
    var aggregates: [(model: AggregateModel, scans: [(slot: String, span: SourceSpan, how: String)])] = []
    /// Reads of a slot noted so far, and whether a local declared outside `localFloor` was used: while checking
    /// what an aggregate adds up, its function must read nothing else.
    var slotReadsNoted = 0
    var localFloor: Int?
    var usesOuterLocal = false
    /// What each function's body reads (only the clock and other functions can be read there).
    var functionReads: [String: InvariantReads] = [:]

    init(declarations: [Declaration], config: ProjectConfig, oldDeclarations: [Declaration]?) {
        self.declarations = declarations
        self.config = config
        self.oldDeclarations = oldDeclarations
    }

    mutating func run() {
        collectTypes()
        if let oldDeclarations { collectSnapshots(oldDeclarations) }
        collectFunctions()
        collectCells()
        checkVersions()
        checkFunctionBodies()
        for name in cellOrder {
            if let declaration = cellDeclarations[name] { checkCellBodies(declaration) }
        }
        checkMigrations()
        checkStateMigrations()
        for name in cellOrder {
            if let declaration = cellDeclarations[name] { checkDistribution(declaration) }
        }
    }

    // MARK: - Scopes

    mutating func withScope<T>(_ body: (inout Checker) -> T) -> T {
        scopes.append([:])
        defer { scopes.removeLast() }
        return body(&self)
    }

    mutating func declare(_ name: String, _ type: SomaType, mutable: Bool = false) {
        if scopes.isEmpty { scopes.append([:]) }
        scopes[scopes.count - 1][name] = Local(type: type, mutable: mutable)
    }

    /// Notes a use of a local declared below `localFloor` (see `usesOuterLocal`).
    mutating func noteLocalUse(_ name: String) {
        guard let floor = localFloor else { return }
        if let depth = scopes.lastIndex(where: { $0[name] != nil }), depth < floor { usesOuterLocal = true }
    }

    func local(_ name: String) -> Local? {
        for scope in scopes.reversed() {
            if let local = scope[name] { return local }
        }
        return nil
    }

    var currentCell: CellModel? { context.cell.flatMap { cells[$0] } }

    // MARK: - Reporting

    mutating func error(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, hint: String? = nil) {
        diagnostics.error(code, message, at: span, hint: hint)
    }

    /// Reports a mismatch unless either side is already unknown (its error was reported where it arose).
    mutating func mismatch(expected: SomaType, found: SomaType, at span: SourceSpan, context what: String? = nil) {
        var hint: String?
        if expected == .float && found == .int {
            hint = "convert with Float(x)"
        } else if expected == .int && found == .float {
            hint = "convert with Int(x)"
        } else if found.optionWrapped != nil, expected.optionWrapped == nil {
            hint = "the value may be None: use unwrap_or(default) or match on it"
        }
        let prefix = what.map { "\($0): " } ?? ""
        error(.typeMismatch, "\(prefix)expected \(expected), found \(found)", at: span, hint: hint)
    }

    /// The closest of `candidates` to `name`, for "did you mean" hints.
    static func suggestion(for name: String, among candidates: [String]) -> String? {
        let lower = name.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(lower, candidate.lowercased())
            if distance <= max(1, name.count / 3), distance < name.count, best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        return best.map { "did you mean '\($0.0)'?" }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8.prefix(64)), b = Array(b.utf8.prefix(64))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
