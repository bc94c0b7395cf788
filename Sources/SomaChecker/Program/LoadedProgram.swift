import SomaDiagnostics
import SomaSyntax

/// A program as read from disk: its files parsed, its `soma.toml`, and what went wrong reading them.
public struct LoadedProgram: Sendable {
    public var root: SourceFile
    public var units: [SourceUnit]
    public var config: ProjectConfig
    public var diagnostics: DiagnosticList
    public var nextExpressionID: Int

    public var declarations: [Declaration] { units.flatMap(\.declarations) }
}
