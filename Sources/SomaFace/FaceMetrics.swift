import CoreMetrics
import Metrics
import Prometheus
import SomaRuntime
import Synchronization

/// Turn metrics through swift-metrics, exported in Prometheus text: turns and failures per cell and
/// signal, and a latency histogram per signal.
public final class FaceMetrics: TurnObserver, Sendable {
    public let registry: PrometheusCollectorRegistry
    private let totals = Mutex<(served: Int, failed: Int)>((0, 0))
    /// Metric objects by cell and signal: made once, since making one looks it up in the registry.
    private let handles = Mutex<[String: (turns: CoreMetrics.Counter, duration: Metrics.Timer)]>([:])

    /// The process-wide metrics system can be bootstrapped once, so there is one instance per process.
    public static let shared = FaceMetrics()

    private init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
    }

    public func turnFinished(cell: String, trigger: String, seconds: Double, error: TurnError?) {
        let dimensions = [("cell", cell), ("signal", trigger)]
        let metrics = handles.withLock { handles in
            let key = "\(cell)\u{0}\(trigger)"
            if let existing = handles[key] { return existing }
            let made = (CoreMetrics.Counter(label: "soma_turns_total", dimensions: dimensions),
                        Metrics.Timer(label: "soma_turn_duration_seconds", dimensions: dimensions))
            handles[key] = made
            return made
        }
        metrics.turns.increment()
        metrics.duration.recordNanoseconds(Int64(seconds * 1e9))
        if let error {
            CoreMetrics.Counter(label: "soma_turn_failures_total", dimensions: dimensions + [("code", error.code)]).increment()
        }
        totals.withLock { totals in
            totals.served += 1
            if error != nil { totals.failed += 1 }
        }
    }

    /// Turns served and failed since the worker started.
    public var counts: (served: Int, failed: Int) { totals.withLock { $0 } }

    public func prometheusText() -> [UInt8] {
        registry.emitToBuffer()
    }
}
