import Foundation
import SomaTestSupport
import Testing

/// The whole SOMA_HOME on a small tmpfs that fills while callers write over HTTP: they get 200 or 507, never a
/// reset; the worker is not restarted; reads go on; writing resumes when space returns; what was acknowledged
/// survives a relaunch.
@Suite(.serialized) struct DiskFullEndToEndTests {
    static let notes = """
    cell Notes {
      face {
        signal put(id: String, text: String) -> Int
        signal get(id: String) -> Option<String>
      }
      memory { notes: Map<String, String> [persistent] }
      on put(id: String, text: String) { notes.set(id, text); notes.count() }
      on get(id: String) { notes.get(id) }
    }
    """

    @Test func aFullDiskAnswers507AndTheAppStaysUp() async throws {
        let app = try LaunchedApp(Self.notes, name: "notes")
        guard let disk = SmallDisk(megabytes: 16, at: URL(fileURLWithPath: app.somaHome)) else {
            app.finish()
            return
        }
        defer { disk.remove() }
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        #expect(try await app.post("/Notes/put", Self.note("first", 10)).status == 200)
        disk.fill(leaving: 256 * 1024)

        // A reset or a timeout is an answer too: 0.
        let answers = await SmallDisk.writeUntilRefused(attempts: 300) { id in
            try await app.post("/Notes/put", Self.note(id, 4_000)).status
        }
        #expect(Set(answers.map(\.1)).isSubset(of: [200, 507]), "\(Set(answers.map(\.1)))\n\(app.logTail)")
        #expect(answers.contains { $0.1 == 507 }, "the disk never filled")
        let status = try await app.status()
        #expect(status["state"] == "serving" && status["restarts"] == "0", "\(status)")
        #expect(try await app.post("/Notes/get", #"{"id": "first"}"#).body == #""xxxxxxxxxx""#)

        disk.free()
        var resumed = false
        for _ in 0..<100 where !resumed {
            resumed = (try? await app.post("/Notes/put", Self.note("after", 10)))?.status == 200
            if !resumed { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(resumed, "writing resumes when space returns")

        #expect(try await app.soma("stop").status == 0)
        #expect(try await app.launch().status == 0)
        for (id, answer) in answers {
            let stored = try await app.post("/Notes/get", #"{"id": "\#(id)"}"#).body != "null"
            #expect(stored == (answer == 200), "\(id) answered \(answer), stored: \(stored)")
        }
    }

    static func note(_ id: String, _ size: Int) -> String {
        #"{"id": "\#(id)", "text": "\#(String(repeating: "x", count: size))"}"#
    }
}
