/// Names from users that become directory, process and database names (apps, resources): a safe alphabet,
/// so they never need quoting in a path or a shell.
public enum SafeName {
    public static let rule = "use 1 to 63 letters, digits, '-', '_' or '.', not starting with '.' or '-'"

    public static func isValid(_ name: String) -> Bool {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57) || byte == 45 || byte == 95 || byte == 46
        }
        return !name.isEmpty && name.utf8.count <= 63 && allowed && !name.hasPrefix(".") && !name.hasPrefix("-")
    }
}
