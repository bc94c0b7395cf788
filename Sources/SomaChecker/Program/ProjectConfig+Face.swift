import SomaDiagnostics
import TOMLKit

extension ProjectConfig {
    static func parseFace(_ table: TOMLTable, locator: inout ConfigLocator, diagnostics: inout DiagnosticList) -> FaceSettings {
        var face = FaceSettings()
        for key in table.keys {
            let span = locator.span(table: "face", key: key)
            func seconds(_ assign: (Double) -> Void) {
                if let value = table[key]?.double ?? table[key]?.int.map(Double.init), value > 0 { assign(value) } else {
                    diagnostics.error(.config, "face.\(key) must be a number of seconds > 0", at: span)
                }
            }
            switch key {
            case "host":
                if let host = table[key]?.string, !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) { face.host = host } else {
                    diagnostics.error(.config, "face.host must be an address to bind, as in host = \"0.0.0.0\"", at: span)
                }
            case "allowed_hosts":
                face.allowedHosts = strings(table[key], table: "face", key: key, locator: &locator, diagnostics: &diagnostics).map(\.value)
            case "allowed_origins":
                let origins = strings(table[key], table: "face", key: key, locator: &locator, diagnostics: &diagnostics)
                for origin in origins where !(origin.value.hasPrefix("http://") || origin.value.hasPrefix("https://")) || origin.value.hasSuffix("/") {
                    diagnostics.error(.config, "face.allowed_origins holds '\(origin.value)', which is not an origin", at: origin.span,
                                      hint: "an origin is a scheme, a host and an optional port, as in \"https://shop.example.com\"")
                }
                face.allowedOrigins = origins.map(\.value)
            case "token_file":
                // Absolute: the worker runs a copy of the program elsewhere, and the token is never copied with it.
                if let path = table[key]?.string, path.hasPrefix("/") { face.tokenFile = path } else {
                    diagnostics.error(.config, "face.token_file must be the absolute path of a file holding the token", at: span,
                                      hint: "the token stays where it is, never copied into the app home; write token_file = \"/etc/soma/shop.token\"")
                }
            case "idle_timeout": seconds { face.idleTimeout = $0 }
            case "header_timeout": seconds { face.headerTimeout = $0 }
            case "max_connections":
                if let value = table[key]?.int, value >= 1 { face.maxConnections = value } else {
                    diagnostics.error(.config, "face.max_connections must be a whole number ≥ 1", at: span)
                }
            default:
                diagnostics.error(.config, "unknown setting '\(key)' in [face]", at: span,
                                  hint: "[face] takes host, allowed_hosts, allowed_origins, token_file, idle_timeout, header_timeout and max_connections")
            }
        }
        return face
    }
}
