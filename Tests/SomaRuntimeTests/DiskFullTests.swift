import Foundation
import SomaRuntime
import SomaTestSupport
import Testing

/// A full disk under the state database (a small tmpfs, filled): the turns whose commit failed get 507 and
/// are undone in memory, writes are refused while it is full, reads go on, writing resumes when space returns,
/// and what was acknowledged is exactly what is stored.
@Suite(.serialized) struct DiskFullTests {
    static let program = """
    cell Notes {
      face {
        signal put(id: String, text: String) -> Int
        signal get(id: String) -> Option<String>
        signal count() -> Int
      }
      memory {
        notes: Map<String, String> [persistent]
        reads: Int [ephemeral] = 0
      }
      on put(id: String, text: String) { notes.set(id, text); notes.count() }
      on get(id: String) { reads = reads + 1; notes.get(id) }
      on count() { notes.count() }
    }
    """

    @Test func aFullDiskFailsTheTurnsItCannotHoldAndTheWorkerGoesOn() async throws {
        guard let disk = SmallDisk(megabytes: 2) else { return }
        defer { disk.remove() }
        let harness = try await RuntimeHarness(Self.program, folder: disk.folder)
        for index in 0..<5 { #expect(await harness.send("Notes.put", Self.note("before-\(index)", size: 10)).status == 200) }
        // Some room is left, so that the disk fills while eight callers are writing.
        disk.fill(leaving: 256 * 1024)

        // Eight callers write at once until the disk refuses; every answer is 200 or 507, nothing else.
        let answers = await SmallDisk.writeUntilRefused(attempts: 400) { id in
            await harness.send("Notes.put", Self.note(id, size: 4_000)).status
        }
        #expect(Set(answers.map(\.1)).isSubset(of: [200, 507]), "\(Set(answers.map(\.1)))")
        #expect(answers.contains { $0.1 == 507 }, "the disk never filled")
        print("disk full: \(answers.filter { $0.1 == 200 }.count) writes acknowledged, \(answers.filter { $0.1 == 507 }.count) refused")
        let acknowledged = Set(answers.filter { $0.1 == 200 }.map(\.0)).union((0..<5).map { "before-\($0)" })

        // Memory is back to what is durable: reads are served, and count only what was acknowledged.
        let settled = await Self.eventually { await harness.send("Notes.count").body == String(acknowledged.count) }
        let counted = await harness.send("Notes.count").body
        #expect(settled, "count \(counted), acknowledged \(acknowledged.count)")
        #expect(await harness.send("Notes.get", #"{"id": "before-1"}"#).status == 200)
        // Full to the last byte. The store's probe may have found room and ended the refusal just before the
        // fill; then a small write can still fit in pages SQLite holds already (the WAL reuses its file). Either
        // answer is right as long as it is the truth: 507 disk-full, or 200 and stored for good (checked below).
        disk.fill()
        let whileFull = await harness.send("Notes.put", Self.note("while-full", size: 10))
        #expect(whileFull.status == 200 || (whileFull.status == 507 && whileFull.body.contains(#""code":"disk-full""#)), "\(whileFull.body)")
        let acknowledgedWhileFull = whileFull.status == 200
        print("disk full to the last byte: a small write answered \(whileFull.status)")

        disk.free()
        #expect(await Self.eventually { await harness.send("Notes.put", Self.note("after", size: 10)).status == 200 }, "writing resumes")
        harness.close()

        let reopened = try await RuntimeHarness(Self.program, folder: disk.folder)
        defer { reopened.close() }
        var stored: Set<String> = []
        for (id, _) in answers where await reopened.send("Notes.get", #"{"id": "\#(id)"}"#).body != "null" { stored.insert(id) }
        #expect(stored == acknowledged.subtracting((0..<5).map { "before-\($0)" }), "acknowledged and stored differ by \(stored.symmetricDifference(acknowledged.subtracting((0..<5).map { "before-\($0)" })).sorted().prefix(10))")
        let storedWhileFull = await reopened.send("Notes.get", #"{"id": "while-full"}"#).body != "null"
        #expect(storedWhileFull == acknowledgedWhileFull, "the write while full answered \(whileFull.status), stored: \(storedWhileFull)")
        #expect(await reopened.send("Notes.count").body == String(acknowledged.count + 1 + (acknowledgedWhileFull ? 1 : 0)))
    }

    static func note(_ id: String, size: Int) -> String {
        #"{"id": "\#(id)", "text": "\#(String(repeating: "x", count: size))"}"#
    }

    static func eventually(_ seconds: Double = 10, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
