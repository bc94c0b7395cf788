/// All source files of one check run, by id.
public struct SourceMap: Sendable {
    public private(set) var files: [SourceFile] = []

    public init() {}

    @discardableResult
    public mutating func add(path: String, bytes: [UInt8]) -> SourceFile {
        let file = SourceFile(id: files.count, path: path, bytes: bytes)
        files.append(file)
        return file
    }

    public func file(_ id: Int) -> SourceFile? {
        id >= 0 && id < files.count ? files[id] : nil
    }

    /// The same files, with the same ids, under other paths (as a user should see them).
    public func relabeled(_ path: (String) -> String) -> SourceMap {
        var map = SourceMap()
        for file in files { map.add(path: path(file.path), bytes: file.bytes) }
        return map
    }
}
