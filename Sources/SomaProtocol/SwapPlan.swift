/// What a swap will do, with the live data it touches: printed before anything changes (`soma swap`,
/// `--dry-run`), kept in the ledger with the version once applied. Travels as JSON from worker to CLI.
public struct SwapPlan: Codable, Sendable {
    public struct TypeLine: Codable, Sendable {
        public var name: String
        public var kind: String
        @Nullable public var from: Int?
        @Nullable public var to: Int?
        public var details: [String]

        public init(name: String, kind: String, from: Int?, to: Int?, details: [String]) {
            self.name = name
            self.kind = kind
            self.from = from
            self.to = to
            self.details = details
        }
    }
    public struct Migration: Codable, Sendable {
        /// `Order 1 → 2`, or a slot rewritten for a compatible change.
        public var what: String
        public var values: Int
        public var messages: Int
        public var rows: Int

        public init(what: String, values: Int, messages: Int, rows: Int) {
            self.what = what
            self.values = values
            self.messages = messages
            self.rows = rows
        }
    }
    public struct Line: Codable, Sendable {
        public var subject: String
        public var change: String
        @Nullable public var count: Int?

        public init(subject: String, change: String, count: Int? = nil) {
            self.subject = subject
            self.change = change
            self.count = count
        }
    }
    public struct Refusal: Codable, Sendable {
        public var code: String
        public var message: String
        @Nullable public var hint: String?
        /// file:line:col in the new version, when the refusal points at its source.
        @Nullable public var location: String?

        public init(code: String, message: String, hint: String? = nil, location: String? = nil) {
            self.code = code
            self.message = message
            self.hint = hint
            self.location = location
        }
    }

    public var fromVersion: Int
    public var toVersion: Int
    /// For a rollback: the earlier version whose code the new version runs again.
    @Nullable public var restores: Int?
    public var types: [TypeLine] = []
    public var migrations: [Migration] = []
    public var slots: [Line] = []
    public var states: [Line] = []
    public var resources: [Line] = []
    public var face: [Line] = []
    public var refusals: [Refusal] = []
    /// What the swap allows but someone should hear about: signals whose shapes change for old clients.
    /// Optional: plans kept in the ledger before it existed decode without it.
    @Nullable public var warnings: [Refusal]?
    /// Values, messages and rows the dry run migrated, and how long it took.
    public var dryRunChecked = 0
    public var dryRunMilliseconds = 0.0
    /// Filled once applied: how long turns were held, and the whole swap.
    @Nullable public var heldMilliseconds: Double?
    @Nullable public var totalMilliseconds: Double?
    @Nullable public var heldTurns: Int?

    public init(fromVersion: Int, toVersion: Int) {
        self.fromVersion = fromVersion
        self.toVersion = toVersion
    }

    public var isRefused: Bool { !refusals.isEmpty }
    public var changesOnlyCode: Bool { migrations.isEmpty && slots.isEmpty && states.isEmpty && resources.isEmpty }
}

extension SwapPlan {
    /// The plan as `soma swap` prints it, in the spirit of `terraform plan`.
    public var text: String {
        var lines = [restores.map { "rollback plan: version \(fromVersion) → \(toVersion) (the code of version \($0))" }
                     ?? "swap plan: version \(fromVersion) → \(toVersion)"]
        func section(_ title: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            lines.append("  \(title)")
            lines.append(contentsOf: items.map { "    \($0)" })
        }
        section("types", types.filter { $0.kind != "unchanged" }.map { type in
            let versions = type.kind == "migrated" ? " \(type.from ?? 0) → \(type.to ?? 0)" : ""
            let details = type.details.isEmpty ? "" : ": " + type.details.joined(separator: "; ")
            return "\(Self.sign(type.kind)) \(type.name)\(versions) (\(type.kind))\(details)"
        })
        section("migrations", migrations.map { migration in
            var counts: [String] = []
            if migration.values > 0 { counts.append(Self.count(migration.values, "stored value")) }
            if migration.messages > 0 { counts.append(Self.count(migration.messages, "queued message")) }
            if migration.rows > 0 { counts.append(Self.count(migration.rows, "row")) }
            return "~ \(migration.what): \(counts.isEmpty ? "no data yet" : counts.joined(separator: ", "))"
        })
        section("memory", slots.map { "\(Self.sign($0.change)) \($0.subject): \($0.change)\($0.count.map { " (\(Self.count($0, "value")))" } ?? "")" })
        section("state machines", states.map { "\(Self.sign($0.change)) \($0.subject): \($0.change)\($0.count.map { " (\(Self.count($0, "live key")))" } ?? "")" })
        section("resources", resources.map { "\(Self.sign($0.change)) \($0.subject): \($0.change)" })
        section("face", face.map { "\(Self.sign($0.change)) \($0.subject): \($0.change)" })
        if changesOnlyCode && face.isEmpty && types.allSatisfy({ $0.kind == "unchanged" }) {
            lines.append("  code only: no type, memory, state or resource changes")
        }
        if dryRunChecked > 0 || refusals.isEmpty {
            lines.append("  dry run: \(Self.count(dryRunChecked, "value")) migrated in \(Int(dryRunMilliseconds.rounded())) ms (nothing changed)")
        }
        for warning in warnings ?? [] {
            lines.append("  warning[\(warning.code)]: \(warning.message)")
            if let hint = warning.hint { lines.append("    hint: \(hint)") }
        }
        for refusal in refusals {
            lines.append("  refused[\(refusal.code)]: \(refusal.message)\(refusal.location.map { " (\($0))" } ?? "")")
            if let hint = refusal.hint { lines.append("    hint: \(hint)") }
        }
        return lines.joined(separator: "\n")
    }

    static func sign(_ change: String) -> String {
        if change.hasPrefix("added") || change.hasPrefix("new") || change.hasPrefix("provision") { return "+" }
        if change.hasPrefix("removed") || change.hasPrefix("dropped") || change.hasPrefix("orphaned") { return "-" }
        return "~"
    }

    public static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }
}
