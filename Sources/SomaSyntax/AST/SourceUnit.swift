import SomaDiagnostics

/// The declarations parsed from one file.
public struct SourceUnit: Hashable, Sendable {
    public var file: Int
    public var declarations: [Declaration]

    public init(file: Int, declarations: [Declaration]) {
        self.file = file
        self.declarations = declarations
    }
}
