/// A stretch of the app's log as the supervisor reads it (control 3.2): whole lines from byte offset `from`,
/// and where the next read starts. `soma logs` reads chunks until `next` reaches `size`, and `-f` asks again
/// from `next`; a log that became shorter than `from` (truncated by hand) is read again from its start.
public struct LogChunk: Codable, Sendable, Equatable {
    /// Where this chunk starts: the offset asked for, or 0 when the log had become shorter than it.
    public var from: Int
    /// The chunk's text: whole lines only, each ending with a newline.
    public var text: String
    /// The offset just past `text`.
    public var next: Int
    /// The log's size when it was read.
    public var size: Int

    public init(from: Int, text: String, next: Int, size: Int) {
        self.from = from
        self.text = text
        self.next = next
        self.size = size
    }
}
