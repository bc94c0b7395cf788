import SomaDiagnostics
import SomaSyntax

extension Checker {
    static let scaleKeys = ["replicas", "shard", "consistency", "tolerance", "cpu", "memory", "hosts"]

    /// Reads a cell's scale section into its model, reporting malformed settings as `invalid-scale`.
    mutating func scaleModel(_ declaration: CellDeclaration) -> ScaleModel {
        var scale = ScaleModel()
        let sections = declaration.scaleSections
        for extra in sections.dropFirst() {
            error(.duplicate, "cell '\(declaration.name)' has more than one scale section", at: extra.span)
        }
        guard let section = sections.first else { return scale }
        scale.declared = true
        let slots = cells[declaration.name]?.slots ?? []
        var seen: Set<String> = []
        for entry in section.entries {
            guard seen.insert(entry.key).inserted else {
                error(.duplicate, "'\(entry.key)' is set twice in the scale section", at: entry.keySpan)
                continue
            }
            let value = entry.value
            switch entry.key {
            case "replicas", "tolerance", "cpu":
                guard case .int(let number) = value.kind else {
                    error(.invalidScale, "\(entry.key) must be a whole number", at: value.span)
                    continue
                }
                let minimum = entry.key == "tolerance" ? 0 : 1
                guard number >= minimum else {
                    error(.invalidScale, "\(entry.key) must be at least \(minimum), not \(number)", at: value.span,
                          hint: entry.key == "replicas" ? "a cell runs on at least one replica" : nil)
                    continue
                }
                switch entry.key {
                case "replicas": scale.replicas = number
                case "tolerance": scale.tolerance = number
                default: scale.cpu = number
                }
            case "consistency":
                let word: String? = if case .name(let name) = value.kind { name } else { literalString(value) }
                guard let word, let consistency = ScaleModel.Consistency(rawValue: word) else {
                    error(.invalidScale, "consistency is strong, causal or eventual", at: value.span)
                    continue
                }
                scale.consistency = consistency
                scale.consistencyWritten = true
            case "shard":
                guard case .name(let name) = value.kind else {
                    error(.invalidScale, "shard names a Map memory slot", at: value.span)
                    continue
                }
                guard let slot = slots.first(where: { $0.name == name }) else {
                    error(.unknownSlot, "cell '\(declaration.name)' has no memory slot '\(name)' to shard by", at: value.span,
                          hint: Self.suggestion(for: name, among: slots.map(\.name)) ?? (slots.isEmpty ? "declare it in the memory section" : "its slots are \(slots.map(\.name).joined(separator: ", "))"))
                    continue
                }
                if !slot.isMap && slot.type != .unknown {
                    error(.invalidScale, "a cell is sharded by the keys of a Map slot, and '\(name)' is \(slot.type)", at: value.span)
                    continue
                }
                scale.shard = name
            case "memory":
                guard let text = literalString(value), Self.isMemorySize(text) else {
                    error(.invalidScale, "memory is a size such as \"512Mi\" or \"8Gi\"", at: value.span, hint: "write a whole number followed by Ki, Mi, Gi or Ti")
                    continue
                }
                scale.memory = text
            case "hosts":
                guard case .list(let elements) = value.kind else {
                    error(.invalidScale, "hosts is a list of host names, as in [\"a\", \"b\"]", at: value.span)
                    continue
                }
                for element in elements {
                    guard let host = literalString(element) else {
                        error(.invalidScale, "a host is named by a string", at: element.span)
                        continue
                    }
                    if host != "local" && !knownHosts.contains(host) {
                        error(.unknownHost, "unknown host '\(host)'", at: element.span,
                              hint: "declare it in soma.toml under [hosts.\(host)], or register it with 'soma hosts add \(host) ssh://user@host'")
                    }
                    scale.hosts.append(host)
                }
            default:
                error(.invalidScale, "unknown scale setting '\(entry.key)'", at: entry.keySpan,
                      hint: Self.suggestion(for: entry.key, among: Self.scaleKeys) ?? "settings are \(Self.scaleKeys.joined(separator: ", "))")
            }
        }
        return scale
    }

    /// "512Mi", "8Gi", "1048576".
    static func isMemorySize(_ text: String) -> Bool {
        var digits = Substring(text)
        for unit in ["Ki", "Mi", "Gi", "Ti"] where text.hasSuffix(unit) {
            digits = text.dropLast(2)
        }
        return !digits.isEmpty && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber) && (Int(digits) ?? 0) > 0
    }

    /// The distribution rules of LANGUAGE.md §8: memory properties against each other and against the scale.
    mutating func checkDistribution(_ declaration: CellDeclaration) {
        guard let model = cells[declaration.name] else { return }
        let scale = model.scale
        let entries = declaration.scaleSections.first?.entries ?? []
        func span(_ key: String) -> SourceSpan {
            entries.first { $0.key == key }.map { $0.keySpan.to($0.value.span) } ?? declaration.scaleSections.first?.span ?? declaration.nameSpan
        }
        for slot in model.slots {
            let properties = slot.properties
            if properties.persistent && properties.ephemeral {
                error(.conflictingProperties, "slot '\(slot.name)' cannot be both persistent and ephemeral", at: slot.propertySpan,
                      hint: "persistent survives restarts; ephemeral lives in memory only: choose one")
            }
            if properties.consistent && properties.eventual {
                error(.conflictingProperties, "slot '\(slot.name)' cannot be both consistent and eventual", at: slot.propertySpan,
                      hint: "consistent is linearizable across replicas; eventual converges later: choose one")
            }
            if properties.local && properties.consistent {
                error(.localConsistent, "slot '\(slot.name)' is local, so it cannot be consistent across replicas", at: slot.propertySpan,
                      hint: "drop 'local' to replicate it, or 'consistent' to keep it on each node")
            }
            if properties.consistent && scale.consistencyWritten && scale.consistency == .eventual {
                error(.consistentSlotEventualCell, "slot '\(slot.name)' is consistent, but cell '\(model.name)' declares consistency: eventual",
                      at: slot.propertySpan, hint: "declare consistency: strong in the scale section, or make the slot eventual")
            }
        }
        if let shard = scale.shard, let slot = model.slot(shard) {
            if slot.properties.ephemeral && scale.consistency == .strong {
                error(.ephemeralStrongShard, "shard slot '\(shard)' is ephemeral, but consistency is strong: a restart would lose what a quorum acknowledged",
                      at: span("shard"), hint: "make '\(shard)' persistent, or relax consistency")
            }
            if slot.properties.local {
                error(.localShard, "shard slot '\(shard)' is local: a node-local slot cannot be partitioned across replicas",
                      at: span("shard"), hint: "shard by a replicated slot, or drop 'local' from '\(shard)'")
            }
        }
        if scale.tolerance >= scale.replicas {
            error(.toleranceExceedsReplicas, "tolerance \(scale.tolerance) needs more than \(scale.tolerance) replicas, but cell '\(model.name)' has \(scale.replicas)",
                  at: span("tolerance"), hint: "raise replicas to at least \(scale.tolerance + 1), or lower tolerance")
        } else if scale.consistency == .strong && scale.tolerance > scale.replicas - scale.quorum {
            error(.quorumUnreachable, "with \(scale.replicas) replicas a strong quorum needs \(scale.quorum), so at most \(scale.replicas - scale.quorum) may fail, not \(scale.tolerance)",
                  at: span("tolerance"), hint: "raise replicas to at least \(2 * scale.tolerance + 1), or lower tolerance to \(scale.replicas - scale.quorum)")
        }
    }
}
