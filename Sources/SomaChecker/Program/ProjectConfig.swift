import Foundation
import SomaDiagnostics
import SomaProtocol
import TOMLKit

/// A value from soma.toml with where it was written, so diagnostics about it point at the line.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var span: SourceSpan
}

/// What `soma.toml` says. Only the parts the checker needs are read here; the runtime reads the rest.
public struct ProjectConfig: Sendable {
    public struct After: Sendable {
        public var state: Located<String>
        public var never: [Located<String>] = []
        public var eventually: [Located<String>] = []
    }
    public struct Verify: Sendable {
        public var deadlockFree: Located<Bool>?
        public var eventually: [Located<String>] = []
        public var ctl: [Located<String>] = []
        public var after: [After] = []
        public var isEmpty: Bool { deadlockFree == nil && eventually.isEmpty && ctl.isEmpty && after.isEmpty }
    }

    public var file: SourceFile?
    public var appName: String?
    public var port: Int?
    public var hosts: Set<String> = []
    /// `[supervisor] max_restarts` and `within` (seconds): the worker's restart intensity.
    public var maxRestarts: Int?
    public var restartWindow: Double?
    public var verify = Verify()
    /// `[providers] path`: folders searched for provider plugins, as written (relative to soma.toml).
    public var providerPaths: [String] = []
    /// `[resources.NAME] provider = "..."`: the provider of a resource, when not the built-in `local`.
    public var resourceProviders: [String: String] = [:]
    /// `[resources.NAME] port = 5433`: the port of a server resource (a postgres database), when not a free one.
    public var resourcePorts: [String: Int] = [:]
    /// `[face]`: bind address, allowed hosts and origins, bearer token, timeouts, connection limit.
    public var face = FaceSettings()
    /// `[control]`: a TCP listening address for the control protocol, when one is configured.
    public var control = ControlSettings()
    /// `[memory] cache`: the bytes every cell's memory may cache of the store together, when not the default.
    public var cacheBytes: Int?

    public init() {}

    /// The soma.toml beside a program's entry file, for a reader that needs its settings and not a check
    /// (the supervisor); an empty config when there is none. Its errors were reported when the version was checked.
    public static func load(besides entryPath: String) -> ProjectConfig {
        let path = ((entryPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("soma.toml")
        guard let bytes = ProgramLoader.read(path) else { return ProjectConfig() }
        var sources = SourceMap()
        var diagnostics = DiagnosticList()
        return parse(sources.add(path: path, bytes: bytes), diagnostics: &diagnostics)
    }

    static func parse(_ file: SourceFile, diagnostics: inout DiagnosticList) -> ProjectConfig {
        var config = ProjectConfig()
        config.file = file
        let text = String(decoding: file.bytes, as: UTF8.self)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let offset = file.offset(ofLine: error.source.begin.line) + max(0, error.source.begin.column - 1)
            diagnostics.error(.config, "soma.toml: \(error.description)", at: SourceSpan(file: file.id, start: offset, end: offset + 1))
            return config
        } catch {
            diagnostics.error(.config, "soma.toml cannot be read: \(error)", at: SourceSpan(file: file.id, start: 0, end: 0))
            return config
        }
        var locator = ConfigLocator(file: file)
        let sections = ["app", "supervisor", "hosts", "verify", "providers", "resources", "face", "control", "memory"]
        for key in table.keys where !sections.contains(key) {
            diagnostics.error(.config, "unknown section or setting '\(key)' in soma.toml", at: locator.topLevelSpan(key),
                              hint: Checker.suggestion(for: key, among: sections).map { "did you mean [\($0)]?" } ?? "soma.toml takes [\(sections.joined(separator: "], ["))]")
        }
        if let app = table["app"]?.table {
            config.appName = app["name"]?.string
            config.port = app["port"]?.int
            for key in app.keys where !["name", "port"].contains(key) {
                diagnostics.error(.config, "unknown setting '\(key)' in [app]", at: locator.span(table: "app", key: key), hint: "[app] takes name and port")
            }
        }
        if let face = table["face"]?.table {
            config.face = parseFace(face, locator: &locator, diagnostics: &diagnostics)
        }
        if let control = table["control"]?.table {
            for key in control.keys {
                let span = locator.span(table: "control", key: key)
                guard key == "listen" else {
                    diagnostics.error(.config, "unknown setting '\(key)' in [control]", at: span,
                                      hint: "[control] takes listen = \"host:port\", a TCP address for the control protocol (TLS and the app's secret)")
                    continue
                }
                guard let text = control[key]?.string, let listen = Endpoint.tcp(parsing: text) else {
                    diagnostics.error(.config, "control.listen must be an address, as in listen = \"127.0.0.1:7470\"", at: span)
                    continue
                }
                config.control.listen = listen
            }
        }
        if let memory = table["memory"]?.table {
            for key in memory.keys {
                let span = locator.span(table: "memory", key: key)
                guard key == "cache" else {
                    diagnostics.error(.config, "unknown setting '\(key)' in [memory]", at: span,
                                      hint: "[memory] takes cache, the memory that may hold stored values, as in cache = \"64MB\"")
                    continue
                }
                guard let bytes = memory[key].flatMap(Self.byteSize), bytes >= 1024 else {
                    diagnostics.error(.config, "memory.cache must be a size of at least 1KB, as in cache = \"64MB\"", at: span,
                                      hint: "a whole number of bytes, or one with KB, MB or GB (1KB = 1024 bytes)")
                    continue
                }
                config.cacheBytes = bytes
            }
        }
        if let supervisor = table["supervisor"]?.table {
            for key in supervisor.keys {
                let span = locator.span(table: "supervisor", key: key)
                switch key {
                case "max_restarts":
                    if let value = supervisor[key]?.int, value >= 0 { config.maxRestarts = value } else {
                        diagnostics.error(.config, "supervisor.max_restarts must be a whole number ≥ 0", at: span)
                    }
                case "within":
                    if let value = supervisor[key]?.int ?? supervisor[key]?.double.map({ Int($0) }), value > 0 { config.restartWindow = Double(value) } else {
                        diagnostics.error(.config, "supervisor.within must be a number of seconds > 0", at: span)
                    }
                default:
                    diagnostics.error(.config, "unknown setting '\(key)' in [supervisor]", at: span,
                                      hint: "[supervisor] takes max_restarts and within (seconds)")
                }
            }
        }
        if let hosts = table["hosts"]?.table {
            config.hosts = Set(hosts.keys)
            for name in hosts.keys {
                guard let entry = hosts[name]?.table else {
                    diagnostics.error(.config, "hosts.\(name) must be a table, as in [hosts.\(name)] address = \"ssh://user@host\"",
                                      at: locator.topLevelSpan("hosts"))
                    continue
                }
                for key in entry.keys where !["address", "key", "root"].contains(key) {
                    diagnostics.error(.config, "unknown setting '\(key)' in [hosts.\(name)]", at: locator.span(table: "hosts.\(name)", key: key),
                                      hint: "[hosts.NAME] takes address (ssh://user@host[:port]), key (a private key file) and root (a folder there)")
                }
            }
        }
        if let verify = table["verify"]?.table {
            config.verify = parseVerify(verify, locator: &locator, diagnostics: &diagnostics)
        }
        if let providers = table["providers"]?.table {
            for key in providers.keys {
                if key == "path" {
                    config.providerPaths = strings(providers[key], table: "providers", key: key, locator: &locator, diagnostics: &diagnostics).map(\.value)
                } else {
                    diagnostics.error(.config, "unknown setting '\(key)' in [providers]", at: locator.span(table: "providers", key: key),
                                      hint: "[providers] takes path, a list of folders holding soma-provider-NAME executables")
                }
            }
        }
        if let resources = table["resources"]?.table {
            for name in resources.keys {
                let span = locator.span(table: "resources", key: name)
                guard let entry = resources[name]?.table else {
                    diagnostics.error(.config, "resources.\(name) must be a table, as in [resources.\(name)] provider = \"local\"", at: span)
                    continue
                }
                for key in entry.keys {
                    switch key {
                    case "provider":
                        guard let provider = entry[key]?.string, SafeName.isValid(provider) else {
                            diagnostics.error(.config, "resources.\(name).provider must be a provider's name, as in provider = \"local\"", at: span)
                            continue
                        }
                        config.resourceProviders[name] = provider
                    case "port":
                        guard let port = entry[key]?.int, (1...65535).contains(port) else {
                            diagnostics.error(.config, "resources.\(name).port must be a port number (1 to 65535)", at: span)
                            continue
                        }
                        config.resourcePorts[name] = port
                    default:
                        diagnostics.error(.config, "unknown setting '\(key)' in [resources.\(name)]", at: span,
                                          hint: "[resources.NAME] takes provider (a provider plugin's name) and port (for a postgres database)")
                    }
                }
            }
        }
        return config
    }

    /// A size as soma.toml writes it: bytes as a number, or a string with a unit ("64MB", "512 KB", "1GB").
    static func byteSize(_ value: any TOMLValueConvertible) -> Int? {
        if let bytes = value.int { return bytes }
        guard let text = value.string?.trimmingCharacters(in: .whitespaces).uppercased() else { return nil }
        let units: [(String, Int)] = [("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)]
        for (unit, scale) in units where text.hasSuffix(unit) {
            guard let number = Int(text.dropLast(unit.count).trimmingCharacters(in: .whitespaces)), number >= 0 else { return nil }
            let (bytes, overflow) = number.multipliedReportingOverflow(by: scale)
            return overflow ? nil : bytes
        }
        return Int(text)
    }

    static func parseVerify(_ table: TOMLTable, locator: inout ConfigLocator, diagnostics: inout DiagnosticList) -> Verify {
        var verify = Verify()
        for key in table.keys {
            let span = locator.span(table: "verify", key: key)
            switch key {
            case "deadlock_free":
                if let value = table[key]?.bool {
                    verify.deadlockFree = Located(value: value, span: span)
                } else {
                    diagnostics.error(.config, "verify.deadlock_free must be true or false", at: span)
                }
            case "eventually":
                verify.eventually = strings(table[key], table: "verify", key: key, locator: &locator, diagnostics: &diagnostics)
            case "ctl":
                verify.ctl = strings(table[key], table: "verify", key: key, locator: &locator, diagnostics: &diagnostics)
            case "after":
                guard let after = table[key]?.table else {
                    diagnostics.error(.config, "verify.after must be a table of states, as in [verify.after.paid]", at: span)
                    continue
                }
                for state in after.keys.sorted(by: { locator.line(table: "verify.after.\($0)") < locator.line(table: "verify.after.\($1)") }) {
                    let path = "verify.after.\(state)"
                    var entry = After(state: Located(value: state, span: locator.headerSpan(table: path)))
                    guard let settings = after[state]?.table else {
                        diagnostics.error(.config, "verify.after.\(state) must be a table with 'never' and/or 'eventually'", at: entry.state.span)
                        continue
                    }
                    for setting in settings.keys {
                        switch setting {
                        case "never": entry.never = strings(settings[setting], table: path, key: setting, locator: &locator, diagnostics: &diagnostics)
                        case "eventually": entry.eventually = strings(settings[setting], table: path, key: setting, locator: &locator, diagnostics: &diagnostics)
                        default:
                            diagnostics.error(.config, "unknown setting '\(setting)' in [\(path)]", at: locator.span(table: path, key: setting),
                                              hint: "a [verify.after.STATE] table takes 'never' and 'eventually'")
                        }
                    }
                    verify.after.append(entry)
                }
            default:
                diagnostics.error(.config, "unknown setting '\(key)' in [verify]", at: span,
                                  hint: "[verify] takes deadlock_free, eventually, ctl and [verify.after.STATE] tables")
            }
        }
        return verify
    }

    static func strings(_ value: (any TOMLValueConvertible)?, table: String, key: String, locator: inout ConfigLocator, diagnostics: inout DiagnosticList) -> [Located<String>] {
        guard let array = value?.array else {
            diagnostics.error(.config, "\(table).\(key) must be a list of strings, as in [\"settled\"]", at: locator.span(table: table, key: key))
            return []
        }
        var result: [Located<String>] = []
        for element in array {
            guard let string = element.string else {
                diagnostics.error(.config, "\(table).\(key) must hold only strings", at: locator.span(table: table, key: key))
                continue
            }
            result.append(Located(value: string, span: locator.span(table: table, key: key, item: string)))
        }
        return result
    }
}

