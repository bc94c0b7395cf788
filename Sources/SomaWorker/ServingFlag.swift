import Synchronization

/// The port the face listens on, once it does.
final class ServingFlag: Sendable {
    private let port = Mutex<Int?>(nil)

    func set(port value: Int) { port.withLock { $0 = value } }
    var servingPort: Int? { port.withLock { $0 } }
}
