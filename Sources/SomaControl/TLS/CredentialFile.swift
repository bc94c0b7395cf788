import Foundation

/// A small private file made once and never rewritten: written whole to a temporary file, then linked into
/// place, so two processes making it at once agree on one, and a reader never sees half of it.
enum CredentialFile {
    /// The file's bytes, made by `make` when it does not exist yet.
    static func readOrCreate(at path: String, make: () throws(CredentialError) -> [UInt8]) throws(CredentialError) -> [UInt8] {
        if let existing = try read(at: path) { return existing }
        let bytes = try make()
        let temporary = "\(path).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CredentialError(.unwritable, path: path, reason: String(cString: strerror(errno))) }
        defer { unlink(temporary) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced else { throw CredentialError(.unwritable, path: path, reason: String(cString: strerror(errno))) }
        if link(temporary, path) != 0 && errno != EEXIST {
            throw CredentialError(.unwritable, path: path, reason: String(cString: strerror(errno)))
        }
        // Whoever linked first made it; everyone reads that one.
        guard let made = try read(at: path) else { throw CredentialError(.unreadable, path: path, reason: "it vanished as it was made") }
        return made
    }

    /// The file's bytes, or nil when there is no file. A file others can read is refused.
    static func read(at path: String) throws(CredentialError) -> [UInt8]? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { return nil }
            throw CredentialError(.unreadable, path: path, reason: String(cString: strerror(errno)))
        }
        guard status.st_mode & 0o077 == 0 else {
            throw CredentialError(.exposed, path: path, reason: "can be read by others (mode \(String(status.st_mode & 0o777, radix: 8)))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialError(.unreadable, path: path, reason: "permission denied")
        }
        return [UInt8](data)
    }
}
