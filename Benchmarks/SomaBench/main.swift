import Foundation
import SomaChecker
import SomaModelCheck

// soma-bench: the front end's figures for docs/performance.md.
//   swift build -c release --product soma-bench && .build/release/soma-bench
// Prints the median (and best) of repeated runs of each measurement.

let clock = ContinuousClock()

func measure(runs: Int, _ body: () -> Void) -> (median: Double, best: Double) {
    var samples: [Double] = []
    for _ in 0..<runs {
        let start = clock.now
        body()
        let elapsed = clock.now - start
        samples.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }
    samples.sort()
    return (samples[samples.count / 2], samples[0])
}

func report(_ name: String, _ figures: (median: Double, best: Double), _ note: String = "") {
    let label = name.padding(toLength: max(48, name.count), withPad: " ", startingAt: 0)
    print(label + String(format: " median %9.1f ms   best %9.1f ms  ", figures.median, figures.best) + note)
}

// MARK: - parse + check of a generated program

let program = ProgramGenerator.program(lines: 10_000)
let lineCount = program.split(separator: "\n", omittingEmptySubsequences: false).count
var diagnosticsSeen = 0
let check = measure(runs: 7) {
    let outcome = SomaCheck.check(source: program, path: "generated.cell")
    diagnosticsSeen = outcome.diagnostics.count
}
report("parse + check, \(lineCount) lines", check, "(\(diagnosticsSeen) diagnostics)")
if diagnosticsSeen > 0 {
    let outcome = SomaCheck.check(source: program, path: "generated.cell")
    print(CheckReport(outcome).text().prefix(2000))
    exit(1)
}

// MARK: - model checking

for transitions in [1_000, 100_000, 1_000_000] {
    let graph = MachineGenerator.graph(transitions: transitions)
    let properties: [(String, CTLFormula)] = [
        ("deadlock_free", .allGlobally(.not(.atom(CTLFormula.deadlockAtom)))),
        ("eventually(done | aborted)", .allFinally(.anyOf(["done", "aborted"]))),
        ("after('s1', never 'aborted')", .allGlobally(.implies(.atom("s1"), .allGlobally(.not(.atom("aborted")))))),
        ("AG(s2 -> EF done)", .allGlobally(.implies(.atom("s2"), .existsFinally(.atom("done"))))),
    ]
    print("machine: \(graph.stateCount) states, \(graph.declaredTransitionCount) transitions")
    for (name, formula) in properties {
        var holds = false
        var trace = ""
        let figures = measure(runs: 5) {
            let checker = CTLModelChecker(graph: graph)
            holds = checker.holds(formula)
            if !holds { trace = checker.counterExample(formula, from: graph.initial).map { "\($0.states.count) states in counter-example" } ?? "" }
        }
        report("  \(name)", figures, holds ? "holds" : "fails, \(trace)")
    }
}

// MARK: - end to end: soma check of a program whose state machine has 100,000 transitions

let machine = MachineGenerator.graph(transitions: 100_000)
var machineSource = "cell Big {\n  state {\n"
for state in 0..<machine.stateCount {
    for next in machine.successors(of: state) where Int(next) != state || !machine.hasNoExit[state] && !machine.isFinal[state] {
        machineSource += "    \(machine.names[state]) -> \(machine.names[Int(next)])\n"
    }
}
machineSource += "    final done, aborted\n  }\n}\n"
let verify = "[verify]\ndeadlock_free = true\nctl = [\"AG(s2 -> EF done)\"]\n[verify.after.s1]\nnever = [\"aborted\"]\n"
var endToEndNote = ""
let endToEnd = measure(runs: 5) {
    let outcome = SomaCheck.check(source: machineSource, path: "big.cell", config: verify)
    endToEndNote = "\(outcome.verifications.first?.results.count ?? 0) properties, \(outcome.errorCount) failing"
}
report("soma check: machine of \(machine.declaredTransitionCount) transitions, 3 properties", endToEnd, endToEndNote)
