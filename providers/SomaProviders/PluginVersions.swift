import Foundation
import Synchronization

/// The plugin protocol version each plugin executable chose, kept while its file is unchanged (same size and
/// modification time): one `describe` per plugin, not one per operation.
enum PluginVersions {
    struct Key: Hashable {
        var path: String
        var size: Int
        var modified: Date
    }

    private static let known = Mutex<[Key: Int]>([:])

    static func key(_ path: String) -> Key? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else { return nil }
        return Key(path: path, size: size, modified: modified)
    }

    static func known(for path: String) -> Int? {
        guard let key = key(path) else { return nil }
        return known.withLock { $0[key] }
    }

    static func remember(_ version: Int, for path: String) {
        guard let key = key(path) else { return }
        known.withLock { $0[key] = version }
    }
}
