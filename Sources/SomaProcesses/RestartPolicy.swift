/// When a supervised process dies: restart it after a backoff, or give up when it died more than
/// `maximumRestarts` times within `window` seconds (OTP's restart intensity). Pure: it is given the times.
public struct RestartPolicy: Sendable, Equatable {
    public enum Decision: Sendable, Equatable {
        case restart(afterSeconds: Double)
        case giveUp(reason: String)
    }

    public var maximumRestarts: Int
    public var window: Double
    public var initialBackoff: Double
    public var maximumBackoff: Double
    /// A process that ran this long is healthy again: its backoff starts over.
    public var stableAfter: Double
    private(set) var restarts: [Double] = []
    private(set) var backoff: Double = 0

    /// The backoff stays under a second so that an app serves again within about a second of any crash.
    public init(maximumRestarts: Int = 5, window: Double = 30, initialBackoff: Double = 0.05, maximumBackoff: Double = 1,
                stableAfter: Double = 5) {
        self.maximumRestarts = maximumRestarts
        self.window = window
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.stableAfter = stableAfter
    }

    /// The process died at `time` after running `uptime` seconds.
    public mutating func processDied(at time: Double, uptime: Double) -> Decision {
        restarts = restarts.filter { time - $0 < window }
        if restarts.count >= maximumRestarts {
            return .giveUp(reason: "\(restarts.count + 1) exits within \(Self.format(window))")
        }
        restarts.append(time)
        if uptime >= stableAfter || backoff == 0 {
            backoff = uptime >= stableAfter ? 0 : initialBackoff
        } else {
            backoff = min(backoff * 2, maximumBackoff)
        }
        return .restart(afterSeconds: backoff)
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
