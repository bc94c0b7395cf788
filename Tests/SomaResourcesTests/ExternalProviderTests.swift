import Foundation
import SomaProviders
import SomaResources
import Testing

/// The plugin protocol's failure paths against real plugin processes (shell scripts), without a supervisor.
@Suite struct ExternalProviderTests {
    static let request = ProvisionRequest(name: "notes", kind: "database", engine: "sqlite", element: "Notes", elementVersion: 1,
                                          options: "{}", dataPath: "/tmp/unused", host: "local")

    static func plugin(_ script: String) throws -> (path: String, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soma-plugin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("soma-provider-test").path
        try ("#!/bin/sh\n" + script + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (path, folder)
    }

    @Test func aRefusalKeepsThePluginsCodeAndMessage() async throws {
        let (path, folder) = try Self.plugin(#"cat > /dev/null; echo '{"ok": false, "error": {"code": "quota", "message": "the disk is full"}}'"#)
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = await #expect(throws: ResourceError.self) {
            _ = try await ExternalProvider(name: "test", executable: path).provision(Self.request)
        }
        #expect(error?.code == "quota" && error?.message == "provider 'test': the disk is full")
    }

    @Test func aPluginThatDoesNotAnswerInTimeFailsWithATimeout() async throws {
        let (path, folder) = try Self.plugin("sleep 30 & echo $! > \"$(dirname \"$0\")/child\"; wait")
        defer { try? FileManager.default.removeItem(at: folder) }
        let started = Date()
        let error = await #expect(throws: ResourceError.self) {
            _ = try await ExternalProvider(name: "test", executable: path, timeout: .milliseconds(300)).provision(Self.request)
        }
        #expect(error?.code == "plugin-timeout")
        #expect(error?.message.contains("did not answer provision") == true)
        // Before the plugin's 30 s: it was stopped, not waited for. (Not tighter: with the whole suite beside
        // it, this test's tasks have been seen to wait 10-26 s for a thread of the cooperative pool.)
        #expect(Date().timeIntervalSince(started) < 30)
        // What the plugin started ends with it.
        let child = try #require(pid_t(String(contentsOf: folder.appendingPathComponent("child"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let deadline = Date().addingTimeInterval(5)
        while kill(child, 0) == 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(kill(child, 0) != 0)
    }
}
