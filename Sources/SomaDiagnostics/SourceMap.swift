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
}
