import Foundation
import Testing

/// External provider plugins with the real binary: the example plugin shipped in providers/bin, and plugins
/// that misbehave.
@Suite(.serialized) struct ProviderPluginTests {
    static let notes = """
        type Note = { id: String, text: String }
        type NotesDb = { notes: Table<Note> }
        cell Notes {
          face {
            signal add(id: String, text: String) -> Int
          }
          let archive = Database<NotesDb>("archive")
          on add(id: String, text: String) {
            archive.notes.put(Note { id: id, text: text })
            archive.notes.count()
          }
        }
        """

    static let config = """
        [providers]
        path = ["plugins"]

        [resources.archive]
        provider = "sqlite-dir"
        """

    static var examplePlugin: String { SomaBinary.repository.appendingPathComponent("providers/bin/soma-provider-sqlite-dir").path }

    func writePlugin(_ app: LaunchedApp, _ script: String) throws {
        let folder = app.folder.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("soma-provider-sqlite-dir").path
        try? FileManager.default.removeItem(atPath: path)
        try ("#!/bin/sh\n" + script + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
    }

    @Test func theExamplePluginProvisionsADatabaseWhereItIsTold() async throws {
        let app = try LaunchedApp(Self.notes, name: "notes", config: "[resources.archive]\nprovider = \"sqlite-dir\"\n")
        defer { app.finish() }
        let shelf = app.folder.appendingPathComponent("shelf").path
        app.environment = ["SOMA_SQLITE_DIR": shelf]

        let launched = try await app.launch()
        #expect(launched.status == 0, "\(launched.error)")
        #expect(try await app.soma("send", "Notes.add", #"{"id": "1", "text": "kept"}"#).output == "1\n")
        let database = "\(shelf)/archive.sqlite"
        #expect(try await ResourcesEndToEndTests.waitFor(10) {
            try await ResourcesEndToEndTests.sqlite3(database, "SELECT text FROM notes") == "kept"
        })
        let archive = try await ResourcesEndToEndTests.resources(app)["archive"]
        #expect(archive?["provider"] == "sqlite-dir" && archive?["endpoint"] == database && archive?["state"] == "ready")

        #expect(try await app.soma("stop").status == 0)
        let released = try await app.soma("resources", "release", "archive", "--purge")
        #expect(released.status == 0, "\(released.error)")
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    @Test func aPluginThatAnswersGarbageOrCrashesFailsClearlyAndARetrySucceeds() async throws {
        let app = try LaunchedApp(Self.notes, name: "notes", config: Self.config)
        defer { app.finish() }

        try writePlugin(app, "echo 'hello, I am not JSON'")
        let garbage = try await app.launch()
        #expect(garbage.status == 1)
        #expect(garbage.error.contains("provider 'sqlite-dir'") && garbage.error.contains("not a JSON reply of the plugin protocol"), "\(garbage.error)")
        #expect(try await ResourcesEndToEndTests.resources(app)["archive"]?["state"] == "failed")
        // A plugin that exits without reading its request once crashed the supervisor in swift-subprocess
        // ("FileDescriptor … was not closed"), about one launch in two.
        let log = (try? String(contentsOfFile: "\(app.appHome)/logs/app.log", encoding: .utf8)) ?? ""
        #expect(!log.contains("Fatal error"), "\(app.logTail)")

        try writePlugin(app, "echo 'about to fail' >&2; kill -9 $$")
        let crashed = try await app.launch()
        #expect(crashed.status == 1)
        #expect(crashed.error.contains("was killed by a signal"), "\(crashed.error)")

        // The cause fixed (the real plugin in its place), the next launch provisions it.
        try writePlugin(app, "exec '\(Self.examplePlugin)'")
        let fixed = try await app.launch()
        #expect(fixed.status == 0, "\(fixed.error)")
        let archive = try await ResourcesEndToEndTests.resources(app)["archive"]
        #expect(archive?["state"] == "ready" && archive?["provider"] == "sqlite-dir")
        #expect(try await app.soma("send", "Notes.add", #"{"id": "1", "text": "x"}"#).output == "1\n")
    }
}
