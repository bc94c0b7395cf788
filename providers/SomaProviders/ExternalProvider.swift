import Foundation
import SomaProtocol
import SomaResources
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A provider that is an executable (`soma-provider-NAME`) speaking the plugin protocol of docs/providers.md:
/// one JSON request on stdin, one JSON reply on stdout, one process per operation. Whatever it does wrong
/// (no such file, a crash, a non-zero exit, garbage or silence on stdout, a version soma does not speak, an
/// endpoint of the wrong sort) becomes a `ResourceError` that names the plugin and what it did.
///
/// `describe` is the handshake. It is sent in version 1's shape, which every plugin reads, with the versions
/// this soma speaks (`protocols: [1, 2]`); the plugin answers the one it chose in `protocolVersion`, and is
/// driven with that version's messages from then on (remembered while its file is unchanged).
public struct ExternalProvider: ResourceProvider {
    /// The plugin protocol's versions this soma speaks: 2 (typed: options as an object, endpoints as
    /// `Endpoint`, failures as `ProtocolFailure`), and 1 for plugins written before it.
    public static let protocolVersions = [1, 2]
    public let name: String
    public let executable: String
    public let timeout: Duration

    public init(name: String, executable: String, timeout: Duration = .seconds(120)) {
        self.name = name
        self.executable = executable
        self.timeout = timeout
    }

    struct Request: Encodable {
        var `protocol`: Int
        var operation: String
        /// Only on `describe`: the versions soma speaks.
        var protocols: [Int]?
        var resource: Resource?
        var archivePath: String?
    }

    /// The resource as each version writes it: version 2 is `ProvisionRequest` itself; version 1 carries the
    /// options as JSON text inside a string, and no provider or port.
    enum Resource: Encodable {
        case version1(ProvisionRequest)
        case version2(ProvisionRequest)

        struct Flat: Encodable {
            var name, kind, engine, element: String
            var elementVersion: Int
            var options, dataPath, host: String
        }

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .version2(let request): try request.encode(to: encoder)
            case .version1(let request):
                try Flat(name: request.name, kind: request.kind.rawValue, engine: request.engine.rawValue, element: request.element,
                         elementVersion: request.elementVersion, options: request.options.text, dataPath: request.dataPath,
                         host: request.host).encode(to: encoder)
            }
        }
    }

    /// Either version's reply: version 1 names the endpoint as text, version 2 as an `Endpoint`.
    struct Reply: Decodable {
        enum EndpointField: Decodable {
            case text(String)
            case typed(Endpoint)

            init(from decoder: any Decoder) throws {
                if let text = try? decoder.singleValueContainer().decode(String.self) {
                    self = .text(text)
                } else {
                    self = .typed(try Endpoint(from: decoder))
                }
            }
        }
        struct Failure: Decodable {
            var code: String?
            var message: String
            var hint: String?
        }
        var ok: Bool
        var error: Failure?
        var endpoint: EndpointField?
        var dataPath: String?
        var process: ProcessSpec?
        var presence: ResourcePresence?
        var name: String?
        var provides: [String]?
        var protocolVersion: Int?
    }

    public func describe() async throws -> ProviderDescription {
        let reply = try await call(Request(protocol: 1, operation: "describe", protocols: Self.protocolVersions))
        let version = reply.protocolVersion ?? 1
        guard Self.protocolVersions.contains(version) else {
            throw ResourceError(code: "plugin-version",
                                "provider '\(name)' (\(executable)) speaks plugin protocol \(version); this soma speaks \(Self.protocolVersions.map(String.init).joined(separator: " and "))")
        }
        PluginVersions.remember(version, for: executable)
        return ProviderDescription(name: reply.name ?? name, provides: reply.provides ?? [], protocolVersion: version)
    }

    /// The version to drive the plugin with: asked once (`describe`), then remembered while its file is the same.
    func version() async throws -> Int {
        if let known = PluginVersions.known(for: executable) { return known }
        return try await describe().protocolVersion
    }

    /// The operation's reply, and the version the plugin was asked in.
    func request(_ operation: String, _ resource: ProvisionRequest, archivePath: String? = nil) async throws -> (Reply, version: Int) {
        let version = try await version()
        let reply = try await call(Request(protocol: version, operation: operation,
                                           resource: version == 1 ? .version1(resource) : .version2(resource), archivePath: archivePath))
        return (reply, version)
    }

    public func provision(_ request: ProvisionRequest) async throws -> ProvisionResult {
        let (reply, version) = try await self.request("provision", request)
        let endpoint: Endpoint
        switch reply.endpoint {
        case nil:
            throw ResourceError(code: "plugin-protocol", "provider '\(name)' (\(executable)) answered provision without an endpoint")
        case .text(let text):
            guard version == 1, !text.isEmpty else {
                throw ResourceError(code: "plugin-protocol", "provider '\(name)' (\(executable)) answered provision with the endpoint '\(text.prefix(80))', not an Endpoint object (plugin protocol 2)")
            }
            endpoint = Endpoint(address: text, engine: request.engine)
        case .typed(let typed):
            guard typed.suits(request.engine) else {
                throw ResourceError(code: "plugin-protocol", "provider '\(name)' (\(executable)) answered provision of \(request.kind) '\(request.name)' with the endpoint \(typed); a \(request.kind)/\(request.engine) needs \(Endpoint.sort(for: request.engine))")
            }
            endpoint = typed
        }
        return ProvisionResult(endpoint: endpoint, dataPath: reply.dataPath, process: reply.process)
    }

    public func status(_ request: ProvisionRequest) async throws -> ResourcePresence {
        guard let presence = try await self.request("status", request).0.presence else {
            throw ResourceError(code: "plugin-protocol", "provider '\(name)' (\(executable)) answered status without a presence")
        }
        return presence
    }

    public func release(_ request: ProvisionRequest, archivePath: String?) async throws {
        _ = try await self.request("release", request, archivePath: archivePath)
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
                // The request reaches the plugin's stdin from an unlinked file, not a pipe: a plugin that exits
                // without reading it would break swift-subprocess's pipe writer, whose descriptor is then never
                // closed, and swift-subprocess traps on that ("FileDescriptor … was not closed"), taking the
                // supervisor down with it (swiftlang/swift-subprocess#367, open upstream). We close the file
                // ourselves, whatever happens.
                let request = try Self.unlinkedFile(holding: input)
                defer { try? request.close() }
                let result = try await Subprocess.run(.path(FilePath(path)), arguments: [], platformOptions: platform,
                                                      input: .fileDescriptor(request, closeAfterSpawningProcess: false),
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
                                "provider '\(pluginName)': \(reply.error?.message ?? "\(request.operation) refused without a reason")"
                                    + (reply.error?.hint.map { " (\($0))" } ?? ""))
        }
        return reply
    }
}

extension ExternalProvider {
    /// A file only this process can read, already unlinked, holding `text`, open for reading from its start.
    static func unlinkedFile(holding text: String) throws -> FileDescriptor {
        let path = FilePath(NSTemporaryDirectory()).appending("soma-plugin-request-\(UUID().uuidString)").string
        let descriptor = try FileDescriptor.open(path, .readWrite, options: [.create, .exclusiveCreate], permissions: [.ownerReadWrite])
        unlink(path)
        do {
            _ = try descriptor.writeAll(Array(text.utf8))
            _ = try descriptor.seek(offset: 0, from: .start)
        } catch {
            try? descriptor.close()
            throw error
        }
        return descriptor
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
