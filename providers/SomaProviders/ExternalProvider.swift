import Foundation
import SomaResources
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A provider that is an executable (`soma-provider-NAME`) speaking the plugin protocol of docs/providers.md:
/// one JSON request on stdin, one JSON reply on stdout, one process per operation. Whatever it does wrong
/// (no such file, a crash, a non-zero exit, garbage or silence on stdout) becomes a `ResourceError` that names
/// the plugin and what it did.
public struct ExternalProvider: ResourceProvider {
    public static let protocolVersion = 1
    public let name: String
    public let executable: String
    public let timeout: Duration

    public init(name: String, executable: String, timeout: Duration = .seconds(120)) {
        self.name = name
        self.executable = executable
        self.timeout = timeout
    }

    struct Request: Encodable {
        var `protocol` = ExternalProvider.protocolVersion
        var operation: String
        var resource: ProvisionRequest?
        var archivePath: String?
    }

    struct Reply: Decodable {
        struct Failure: Decodable {
            var code: String?
            var message: String
        }
        var ok: Bool
        var error: Failure?
        var endpoint: String?
        var dataPath: String?
        var process: ProcessSpec?
        var presence: ResourcePresence?
        var name: String?
        var provides: [String]?
        var protocolVersion: Int?
    }

    public func describe() async throws -> ProviderDescription {
        let reply = try await call(Request(operation: "describe"))
        return ProviderDescription(name: reply.name ?? name, provides: reply.provides ?? [], protocolVersion: reply.protocolVersion ?? 1)
    }

    public func provision(_ request: ProvisionRequest) async throws -> ProvisionResult {
        let reply = try await call(Request(operation: "provision", resource: request))
        guard let endpoint = reply.endpoint, !endpoint.isEmpty else {
            throw ResourceError(code: "plugin-protocol", "provider '\(name)' (\(executable)) answered provision without an endpoint")
        }
        return ProvisionResult(endpoint: endpoint, dataPath: reply.dataPath, process: reply.process)
    }

    public func status(_ request: ProvisionRequest) async throws -> ResourcePresence {
        guard let presence = try await call(Request(operation: "status", resource: request)).presence else {
            throw ResourceError(code: "plugin-protocol", "provider '\(name)' (\(executable)) answered status without a presence")
        }
        return presence
    }

    public func release(_ request: ProvisionRequest, archivePath: String?) async throws {
        _ = try await call(Request(operation: "release", resource: request, archivePath: archivePath))
    }

    func call(_ request: Request) async throws -> Reply {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ResourceError(code: "plugin-missing", "provider '\(name)': \(executable) is not an executable file")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let input = String(decoding: try encoder.encode(request), as: UTF8.self) + "\n"
        let path = executable, pluginName = name, limit = timeout
        let outcome = try await withThrowingTaskGroup(of: (Int32?, String, String)?.self) { group in
            group.addTask {
                // Its own process group, so that a timeout ends what the plugin started too, not just the plugin.
                var platform = PlatformOptions()
                platform.processGroupID = 0
                platform.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .milliseconds(500)),
                                             .send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .milliseconds(500))]
                let result = try await Subprocess.run(.path(FilePath(path)), arguments: [], platformOptions: platform, input: .string(input),
                                                      output: .string(limit: 4 << 20), error: .string(limit: 64 << 10))
                let code: Int32?
                switch result.terminationStatus {
                case .exited(let status): code = status
                case .signaled: code = nil
                }
                return (code, result.standardOutput, result.standardError)
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let (code, output, errorText) = outcome else {
            throw ResourceError(code: "plugin-timeout", "provider '\(pluginName)' (\(path)) did not answer \(request.operation) within \(limit)")
        }
        let stderrTail = errorText.split(separator: "\n").suffix(3).joined(separator: " | ")
        guard let code else {
            throw ResourceError(code: "plugin-crashed", "provider '\(pluginName)' (\(path)) was killed by a signal during \(request.operation)\(stderrTail.isEmpty ? "" : ": \(stderrTail)")")
        }
        let firstLine = output.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
        guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(firstLine.utf8)) else {
            if code != 0 {
                throw ResourceError(code: "plugin-crashed", "provider '\(pluginName)' (\(path)) exited with code \(code) during \(request.operation)\(stderrTail.isEmpty ? "" : ": \(stderrTail)")")
            }
            let shown = firstLine.isEmpty ? "nothing" : "'\(firstLine.prefix(200))'"
            throw ResourceError(code: "plugin-garbage", "provider '\(pluginName)' (\(path)) answered \(request.operation) with \(shown), not a JSON reply of the plugin protocol")
        }
        guard reply.ok else {
            throw ResourceError(code: reply.error?.code ?? "plugin-refused",
                                "provider '\(pluginName)': \(reply.error?.message ?? "\(request.operation) refused without a reason")")
        }
        return reply
    }
}

/// Finds provider plugins: an executable named `soma-provider-NAME` in the first path that has one.
public enum ProviderDirectory {
    public static func find(_ name: String, in paths: [String]) -> String? {
        for path in paths {
            let candidate = (path as NSString).appendingPathComponent("soma-provider-\(name)")
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Where soma's own plugins are: `providers/bin` beside the binary, or in the repository it was built in.
    public static func builtInPaths(executable: String) -> [String] {
        var paths: [String] = []
        var folder = (executable as NSString).deletingLastPathComponent
        paths.append((folder as NSString).appendingPathComponent("providers"))
        for _ in 0..<4 {
            folder = (folder as NSString).deletingLastPathComponent
            let candidate = (folder as NSString).appendingPathComponent("providers/bin")
            if FileManager.default.fileExists(atPath: candidate) { paths.append(candidate) }
        }
        return paths
    }
}
