/// A half-open byte range in one source file. Every syntax node carries one.
public struct SourceSpan: Hashable, Sendable {
    public var file: Int
    public var start: Int
    public var end: Int

    public init(file: Int, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    /// The smallest span covering both.
    public func to(_ other: SourceSpan) -> SourceSpan {
        guard other.file == file else { return self }
        return SourceSpan(file: file, start: min(start, other.start), end: max(end, other.end))
    }

    public static let none = SourceSpan(file: -1, start: 0, end: 0)
}
