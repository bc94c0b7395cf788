import SomaResources

/// Which provider acts for a name: `local` is built in; any other is a plugin found under the provider paths
/// (soma.toml's `[providers] path`, then soma's own `providers/bin`).
public struct ProviderRegistry: Sendable {
    public let executable: String
    public let paths: [String]

    public init(executable: String, configuredPaths: [String]) {
        self.executable = executable
        self.paths = configuredPaths + ProviderDirectory.builtInPaths(executable: executable)
    }

    public func provider(named name: String) throws -> any ResourceProvider {
        if name == "local" { return LocalProvider(executable: executable) }
        guard let plugin = ProviderDirectory.find(name, in: paths) else {
            throw ResourceError(code: "unknown-provider",
                                "no provider named '\(name)': no executable soma-provider-\(name) in \(paths.joined(separator: ", "))")
        }
        return ExternalProvider(name: name, executable: plugin)
    }
}
