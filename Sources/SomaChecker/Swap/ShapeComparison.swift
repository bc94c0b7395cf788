/// Compares a type as the running version declared it (its old shape, keyed `Name@version` in the new
/// program's type table) with the type the new version declares, by the rules of LANGUAGE.md §10.
///
/// Going back (`soma rollback`), the old shape is the later version's and the new one the earlier's: a field the
/// later version added as an Option or with a default is left behind (the earlier version never had it), a
/// variant case it added reads only while no stored value uses it (the dry run finds out), and a field it
/// renamed with `@alias` goes back to its old name.
struct ShapeComparison {
    let table: TypeTable
    var direction: SwapAnalysis.Direction = .forward

    /// Whether data stored as `old` reads as `new`. A named type is judged by name here: its own change is
    /// reported once, as a `TypeChange` of its own.
    func verdict(_ old: SomaType, _ new: SomaType) -> ShapeVerdict {
        switch (old, new) {
        case (.named(let a), .named(let b)):
            return TypeKey.name(a) == TypeKey.name(b) ? .same : .incompatible("\(old.plainDescription) became \(new.plainDescription)")
        case (.int, .float):
            return .compatible("Int widened to Float")
        case (.option(let a), .option(let b)), (.list(let a), .list(let b)), (.set(let a), .set(let b)),
             (.table(let a), .table(let b)), (.queue(let a), .queue(let b)), (.database(let a), .database(let b)):
            return verdict(a, b)
        case (.map(let k1, let v1), .map(let k2, let v2)):
            let key = verdict(k1, k2)
            return key.isIncompatible || key != .same ? key : verdict(v1, v2)
        case (_, .option(let b)) where old.optionWrapped == nil:
            switch verdict(old, b) {
            case .incompatible(let reason): return .incompatible(reason)
            default: return .compatible("\(old.plainDescription) became \(new.plainDescription)")
            }
        case (_, .json):
            return .compatible("\(old.plainDescription) became Json")
        default:
            return old == new ? .same : .incompatible("\(old.plainDescription) became \(new.plainDescription)")
        }
    }

    /// The differences between two shapes of one type: the ones old data survives, and the ones it does not.
    func compare(old: NamedType, new: NamedType) -> (compatible: [String], incompatible: [String]) {
        var compatible: [String] = []
        var incompatible: [String] = []
        switch (old.shape, new.shape) {
        case (.record(let before), .record(let after)):
            compareFields(before, after, in: "", compatible: &compatible, incompatible: &incompatible)
        case (.variant(let before), .variant(let after)):
            for oldCase in before {
                guard let newCase = after.first(where: { $0.name == oldCase.name }) else {
                    if direction == .rollback {
                        compatible.append("variant '\(oldCase.name)' is unknown to the earlier version: a stored value in it refuses the rollback")
                    } else {
                        incompatible.append("variant '\(oldCase.name)' removed")
                    }
                    continue
                }
                compareFields(oldCase.fields, newCase.fields, in: "\(oldCase.name).", compatible: &compatible, incompatible: &incompatible)
            }
            for newCase in after where !before.contains(where: { $0.name == newCase.name }) {
                compatible.append("variant '\(newCase.name)' added")
            }
        case (.record, .variant):
            incompatible.append("a record became a variant")
        case (.variant, .record):
            incompatible.append("a variant became a record")
        }
        return (compatible, incompatible)
    }

    private func compareFields(_ before: [NamedType.Field], _ after: [NamedType.Field], in prefix: String,
                               compatible: inout [String], incompatible: inout [String]) {
        var matched: Set<String> = []
        for oldField in before {
            guard let newField = after.first(where: { $0.name == oldField.name }) ?? after.first(where: { $0.alias == oldField.name })
                    ?? (direction == .rollback ? after.first(where: { oldField.alias != nil && $0.name == oldField.alias }) : nil) else {
                if direction == .rollback && oldField.isOptional {
                    compatible.append("field '\(prefix)\(oldField.name)' is not kept (the earlier version does not have it)")
                } else {
                    incompatible.append(direction == .rollback ? "field '\(prefix)\(oldField.name)' is not in the earlier version"
                                            : "field '\(prefix)\(oldField.name)' removed")
                }
                continue
            }
            matched.insert(newField.name)
            if newField.name != oldField.name {
                compatible.append("field '\(prefix)\(oldField.name)' renamed to '\(newField.name)' (@alias)")
            }
            switch verdict(oldField.type, newField.type) {
            case .same: break
            case .compatible(let note): compatible.append("field '\(prefix)\(newField.name)': \(note)")
            case .incompatible(let reason): incompatible.append("field '\(prefix)\(newField.name)': \(reason)")
            }
        }
        for newField in after where !matched.contains(newField.name) {
            if newField.isOptional {
                compatible.append("field '\(prefix)\(newField.name)' added (\(newField.hasDefault ? "with a default" : "Option"))")
            } else {
                incompatible.append(direction == .rollback ? "the earlier version's field '\(prefix)\(newField.name)' has no default"
                                        : "field '\(prefix)\(newField.name)' added without a default")
            }
        }
    }
}

/// Whether a value stored as `old` reads as `new`, and if not, why.
enum ShapeVerdict: Equatable {
    case same
    case compatible(String)
    case incompatible(String)

    var isIncompatible: Bool {
        if case .incompatible = self { return true }
        return false
    }
}
