import Foundation
import SomaControl
import SomaProtocol
import Testing

/// `soma logs` reads the app's log in chunks the supervisor answers: whole lines, every read moving on.
@Suite struct LogReaderTests {
    static func log(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString).log").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every chunk read from `from` until the reads catch up with the file.
    static func readAll(_ path: String, from: Int = 0, limit: Int) -> [LogChunk] {
        var chunks: [LogChunk] = [], offset = from
        while true {
            let chunk = LogReader.chunk(at: path, from: offset, limit: limit)
            chunks.append(chunk)
            if chunk.text.isEmpty || chunk.next >= chunk.size { return chunks }
            offset = chunk.next
        }
    }

    @Test(arguments: [4, 5, 7, 16, 1 << 20])
    func chunksOfWholeLinesMakeTheLog(limit: Int) throws {
        let text = "2026-12-02T10:00:00Z supervisor info one\n2026-12-02T10:00:01Z worker info two, é\n  a continuation\n"
        let path = try Self.log(text)
        defer { unlink(path) }
        let chunks = Self.readAll(path, limit: limit)
        #expect(chunks.map(\.text).joined() == text)
        #expect(chunks.last?.next == text.utf8.count)
        if limit >= 16 {
            // Only a line longer than the limit comes in pieces.
            #expect(chunks.allSatisfy { $0.text.isEmpty || $0.text.hasSuffix("\n") || $0.text.utf8.count == limit })
        }
    }

    @Test func aLastLineStillBeingWrittenWaitsForItsNewline() throws {
        let path = try Self.log("done\nhalf a li")
        defer { unlink(path) }
        let first = LogReader.chunk(at: path, from: 0, limit: 100)
        #expect(first.text == "done\n" && first.next == 5 && first.size == 14)
        let waiting = LogReader.chunk(at: path, from: first.next, limit: 100)
        #expect(waiting.text.isEmpty && waiting.next == 5)
    }

    @Test func aLogShorterThanTheLastReadIsReadFromItsStart() throws {
        let path = try Self.log("new\n")
        defer { unlink(path) }
        let chunk = LogReader.chunk(at: path, from: 500, limit: 100)
        #expect(chunk.from == 0 && chunk.text == "new\n" && chunk.next == 4)
    }

    @Test func noLogYetIsAnEmptyChunk() {
        let chunk = LogReader.chunk(at: "/nonexistent/app.log", from: 0, limit: 100)
        #expect(chunk == LogChunk(from: 0, text: "", next: 0, size: 0))
    }
}
