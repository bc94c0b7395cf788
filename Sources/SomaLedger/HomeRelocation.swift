/// The ledger keeps the paths of what lives in the app home (a database file, a queue's socket and folder) as
/// absolute paths. A home that was moved, or restored from a backup somewhere else, still names its old place
/// there. Read through this, a path under the home's old place names the same file under its new one. The home
/// is recognised by its last two components, `apps/NAME`, which every app home has.
struct HomeRelocation: Sendable, Equatable {
    /// Where the home is now, without a trailing slash: `/srv/soma/apps/shop`.
    let home: String
    let name: String

    init(home: String) {
        self.home = home.hasSuffix("/") ? String(home.dropLast()) : home
        name = self.home.split(separator: "/").last.map(String.init) ?? ""
    }

    /// `text` (a path, or a URI holding one) with every occurrence of the home's old place replaced by its new one.
    func rebase(_ text: String?) -> String? {
        guard let text, !name.isEmpty, let marker = text.range(of: "/apps/\(name)/") else { return text }
        // The old place is the absolute path that ends at the marker: it starts after the nearest delimiter.
        let delimiters: Set<Character> = ["=", "'", "\"", " ", "?", "&"]
        var start = marker.lowerBound
        while start > text.startIndex, !delimiters.contains(text[text.index(before: start)]) { start = text.index(before: start) }
        let old = String(text[start..<marker.upperBound])
        let new = home + "/"
        guard old.hasPrefix("/"), old != new else { return text }
        return text.replacingOccurrences(of: old, with: new)
    }
}
