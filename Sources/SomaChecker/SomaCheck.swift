import SomaDiagnostics
import SomaSyntax

/// Everything one `soma check` learned: the diagnostics and, when the program parsed, its models.
public struct CheckOutcome: Sendable {
    public var sources: SourceMap
    public var program: LoadedProgram
    public var diagnostics: [Diagnostic]
    public var suppressed: Int
    public var cells: [CellModel]
    public var verifications: [MachineVerification]
    public var types: TypeTable
    /// The type of every checked expression, by expression id (used by the interpreter).
    public var expressionTypes: [Int: SomaType]
    /// Where a dynamically typed value (Json, or a collection of it) meets a static type: the expression's id and
    /// the type its value must have, which the interpreter checks when the expression runs.
    public var coercions: [Int: SomaType] = [:]
    /// Every resource constructor of the program: cell bindings and constructors called in handlers.
    public var resources: [ResourceModel] = []
    /// With `--against`: what a swap from the older version to this one changes.
    public var swap: SwapAnalysis?
    /// With `--against`: the older version, checked on its own.
    public var previousCells: [CellModel] = []

    public var errorCount: Int { diagnostics.count { $0.severity == .error } + suppressed }
    public var warningCount: Int { diagnostics.count { $0.severity == .warning } }
    public var hasErrors: Bool { errorCount > 0 }
}

/// The front door of the checker: read, parse, check, verify.
public enum SomaCheck {
    /// Checks the program at `path` (and `--against` an older version of it; with `.rollback`, against the later
    /// version it replaces). Nil when the file cannot be read.
    public static func check(path: String, against oldPath: String? = nil, direction: SwapAnalysis.Direction = .forward) -> CheckOutcome? {
        var sources = SourceMap()
        guard let program = ProgramLoader().load(path: path, sources: &sources) else { return nil }
        var old: LoadedProgram?
        if let oldPath {
            old = ProgramLoader().load(path: oldPath, sources: &sources, firstExpressionID: program.nextExpressionID, readConfig: false)
            if old == nil { return nil }
        }
        return check(program, against: old, sources: sources, direction: direction)
    }

    /// Checks source held in memory (tests, tools). `use` paths resolve relative to `path`.
    public static func check(source: String, path: String = "app.cell", config: String? = nil) -> CheckOutcome {
        var sources = SourceMap()
        var program = ProgramLoader().load(bytes: Array(source.utf8), path: path, sources: &sources, readConfig: false)
        if let config {
            let file = sources.add(path: "soma.toml", bytes: Array(config.utf8))
            program.config = ProjectConfig.parse(file, diagnostics: &program.diagnostics)
        }
        return check(program, against: nil, sources: sources)
    }

    static func check(_ program: LoadedProgram, against old: LoadedProgram?, sources: SourceMap,
                      direction: SwapAnalysis.Direction = .forward) -> CheckOutcome {
        var diagnostics = program.diagnostics
        var cells: [CellModel] = []
        var verifications: [MachineVerification] = []
        var types = TypeTable()
        var expressionTypes: [Int: SomaType] = [:]
        var coercions: [Int: SomaType] = [:]
        var resources: [ResourceModel] = []
        if let old, old.diagnostics.hasErrors {
            diagnostics.append(contentsOf: old.diagnostics)
        }
        // A program that does not parse is not checked further: its errors would cascade from guesses.
        if !program.diagnostics.hasErrors {
            var checker = Checker(declarations: program.declarations, config: program.config,
                                  oldDeclarations: old.flatMap { $0.diagnostics.hasErrors ? nil : $0.declarations })
            checker.isRollback = direction == .rollback
            checker.run()
            diagnostics.append(contentsOf: checker.diagnostics)
            cells = checker.cellOrder.compactMap { checker.cells[$0] }
            types = checker.table
            expressionTypes = checker.expressionTypes
            coercions = checker.coercions
            resources = checker.constructedResources
            verifications = Verifier(settings: program.config.verify).verify(cells.flatMap(\.machines), diagnostics: &diagnostics)
        }
        var outcome = CheckOutcome(sources: sources, program: program, diagnostics: diagnostics.sorted(), suppressed: diagnostics.suppressed,
                                   cells: cells, verifications: verifications, types: types, expressionTypes: expressionTypes)
        outcome.coercions = coercions
        outcome.resources = resources
        if let old, !old.diagnostics.hasErrors, !outcome.hasErrors {
            let previous = check(old, against: nil, sources: sources)
            if !previous.hasErrors {
                let analysis = SwapAnalysis(old: previous, new: outcome, direction: direction)
                outcome.swap = analysis
                outcome.previousCells = previous.cells
                for diagnostic in analysis.diagnostics { diagnostics.append(diagnostic) }
                // Without live data, a change that is refused only when data is in the way is a warning.
                for condition in analysis.conditions {
                    diagnostics.append(.warning(condition.code, "\(condition.message); a swap is refused if \(condition.dataNeeded)", at: condition.span, hint: condition.hint))
                }
                outcome.diagnostics = diagnostics.sorted()
                outcome.suppressed = diagnostics.suppressed
            }
        }
        return outcome
    }
}
