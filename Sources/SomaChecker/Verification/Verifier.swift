import SomaDiagnostics
import SomaModelCheck

/// Turns `soma.toml [verify]` into CTL formulas and checks each against every state machine that declares
/// all the states it names (LANGUAGE.md §9).
struct Verifier {
    struct Property {
        var title: String
        var formula: CTLFormula
        var span: SourceSpan
        var passDetail = "verified"
    }

    let settings: ProjectConfig.Verify

    func properties(diagnostics: inout DiagnosticList) -> [Property] {
        var result: [Property] = []
        if let deadlockFree = settings.deadlockFree, deadlockFree.value {
            result.append(Property(title: "deadlock_free", formula: .allGlobally(.not(.atom(CTLFormula.deadlockAtom))),
                                   span: deadlockFree.span, passDetail: "no deadlocks in any reachable state"))
        }
        if !settings.eventually.isEmpty {
            let names = settings.eventually.map(\.value)
            result.append(Property(title: "eventually(\(names.joined(separator: " | ")))", formula: .allFinally(.anyOf(names)),
                                   span: settings.eventually[0].span.to(settings.eventually.last!.span)))
        }
        for after in settings.after {
            let state = after.state.value
            if !after.never.isEmpty {
                let names = after.never.map(\.value)
                let condition = names.count == 1 ? "state ≠ '\(names[0])'" : "state ∉ {\(names.map { "'\($0)'" }.joined(separator: ", "))}"
                result.append(Property(title: "after('\(state)', \(condition))",
                                       formula: .allGlobally(.implies(.atom(state), .allGlobally(.not(.anyOf(names))))),
                                       span: after.never[0].span))
            }
            if !after.eventually.isEmpty {
                let names = after.eventually.map(\.value)
                result.append(Property(title: "after('\(state)', eventually(\(names.joined(separator: " | "))))",
                                       formula: .allGlobally(.implies(.atom(state), .allFinally(.anyOf(names)))),
                                       span: after.eventually[0].span))
            }
        }
        for text in settings.ctl {
            switch CTLParser.parse(text.value) {
            case .success(let formula):
                result.append(Property(title: text.value, formula: formula, span: text.span))
            case .failure(let failure):
                let start = text.span.start + 1 + failure.offset
                diagnostics.error(.verifyInvalid, "CTL formula \"\(text.value)\": \(failure.message)",
                                  at: SourceSpan(file: text.span.file, start: start, end: start + 1),
                                  hint: "operators are ! && || ->, AX EX AF EF AG EG, A[p U q] and E[p U q]; atoms are state names, true and false")
            }
        }
        return result
    }

    func verify(_ machines: [MachineModel], diagnostics: inout DiagnosticList) -> [MachineVerification] {
        let properties = properties(diagnostics: &diagnostics)
        let allStates = Set(machines.flatMap(\.states))
        var applicable: [Int: [Property]] = [:]
        for property in properties {
            let atoms = property.formula.atoms
            let matching = machines.indices.filter { atoms.isSubset(of: Set(machines[$0].states)) }
            if matching.isEmpty {
                let unknown = atoms.subtracting(allStates).sorted()
                let message = unknown.isEmpty
                    ? "\(property.title) names states of different machines (\(atoms.sorted().joined(separator: ", "))): no single machine declares them all"
                    : "\(property.title) names \(unknown.map { "'\($0)'" }.joined(separator: ", ")), which no state machine declares"
                diagnostics.error(.verifyUnknownState, message, at: property.span,
                                  hint: Checker.suggestion(for: unknown.first ?? "", among: Array(allStates)) ?? "the declared states are \(allStates.sorted().joined(separator: ", "))")
                continue
            }
            for index in matching { applicable[index, default: []].append(property) }
        }
        return machines.indices.map { index in
            let machine = machines[index]
            let graph = Self.graph(of: machine)
            let checker = CTLModelChecker(graph: graph)
            var results: [PropertyResult] = []
            for property in applicable[index] ?? [] {
                if checker.holds(property.formula) {
                    results.append(PropertyResult(property: property.title, holds: true, detail: property.passDetail))
                    continue
                }
                let trace = checker.counterExample(property.formula, from: graph.initial)
                let detail = trace.map { "counter-example: \($0.render(graph))" } ?? "does not hold in the initial state '\(graph.names[graph.initial])'"
                results.append(PropertyResult(property: property.title, holds: false, detail: detail))
                diagnostics.error(.verifyFailed, "\(property.title) fails for state machine '\(machine.qualifiedName)': \(detail)", at: property.span)
            }
            return MachineVerification(machine: machine, stateCount: graph.stateCount, transitionCount: machine.edges.count, results: results)
        }
    }

    static func graph(of machine: MachineModel) -> StateGraph {
        var index: [String: Int] = [:]
        for (position, state) in machine.states.enumerated() { index[state] = position }
        var seen: Set<[Int]> = []
        let edges = machine.edges.compactMap { edge -> (Int, Int)? in
            guard let from = index[edge.from], let to = index[edge.to], seen.insert([from, to]).inserted else { return nil }
            return (from, to)
        }
        let finals = machine.declaration.finals.map { Set($0.compactMap { index[$0.name] }) }
        return StateGraph(names: machine.states, edges: edges, initial: 0, finals: finals)
    }
}
