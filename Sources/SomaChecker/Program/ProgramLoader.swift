import Foundation
import SomaDiagnostics
import SomaSyntax

/// Reads a program: the root `.cell` file, every file it `use`s (each once, so cycles are harmless),
/// and the `soma.toml` beside the root.
public struct ProgramLoader {
    /// Larger files are refused rather than read: a program is source, not data.
    public static let maximumFileSize = 64 << 20

    public init() {}

    public func load(path: String, sources: inout SourceMap, firstExpressionID: Int = 0, readConfig: Bool = true) -> LoadedProgram? {
        guard let bytes = Self.read(path) else { return nil }
        return load(bytes: bytes, path: path, sources: &sources, firstExpressionID: firstExpressionID, readConfig: readConfig)
    }

    /// Parses source held in memory; `use` paths resolve relative to `path`'s folder.
    public func load(bytes: [UInt8], path: String, sources: inout SourceMap, firstExpressionID: Int = 0, readConfig: Bool = true) -> LoadedProgram {
        let root = sources.add(path: path, bytes: bytes)
        var diagnostics = DiagnosticList()
        var units: [SourceUnit] = []
        var nextID = firstExpressionID
        var loaded: Set<String> = [Self.canonical(path)]
        var queue: [SourceFile] = [root]
        while !queue.isEmpty {
            let file = queue.removeFirst()
            let (unit, parseDiagnostics, next) = Parser.parse(file, firstExpressionID: nextID)
            nextID = next
            diagnostics.append(contentsOf: parseDiagnostics)
            units.append(unit)
            for case .use(let use) in unit.declarations {
                let target = Self.resolve(use.path, relativeTo: file.path)
                guard loaded.insert(Self.canonical(target)).inserted else { continue }
                guard let bytes = Self.read(target) else {
                    diagnostics.error(.io, "cannot read '\(use.path)' (looked for \(target))", at: use.span,
                                      hint: "paths in 'use' are relative to the file that uses them")
                    continue
                }
                queue.append(sources.add(path: target, bytes: bytes))
            }
        }
        var config = ProjectConfig()
        if readConfig {
            let configPath = (URL(fileURLWithPath: path).deletingLastPathComponent().path as NSString).appendingPathComponent("soma.toml")
            if let bytes = Self.read(configPath) {
                let file = sources.add(path: Self.configDisplayPath(besides: path), bytes: bytes)
                config = ProjectConfig.parse(file, diagnostics: &diagnostics)
            }
        }
        return LoadedProgram(root: root, units: units, config: config, diagnostics: diagnostics, nextExpressionID: nextID)
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: maximumFileSize + 1), data.count <= maximumFileSize else {
            return nil
        }
        return [UInt8](data)
    }

    static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        let folder = (file as NSString).deletingLastPathComponent
        return folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path)
    }

    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// `soma.toml` is shown the way the user named the program: relative when they gave a relative path.
    static func configDisplayPath(besides programPath: String) -> String {
        let folder = (programPath as NSString).deletingLastPathComponent
        return folder.isEmpty ? "soma.toml" : (folder as NSString).appendingPathComponent("soma.toml")
    }
}
