import Testing
@testable import SomaChecker

@Suite struct VerificationTests {
    let machine = """
        cell Trades {
          face { signal f() -> Int }
          state {
            queued -> running -> executed -> settled
            running -> failed -> queued
            queued -> cancelled
          }
          on f() { 1 }
        }
        """

    func results(_ config: String) -> (CheckOutcome, [PropertyResult]) {
        let outcome = SomaCheck.check(source: machine, config: config)
        return (outcome, outcome.verifications.flatMap(\.results))
    }

    @Test func thePaperExample() {
        let (outcome, results) = results("""
            [verify]
            deadlock_free = true
            eventually = ["settled", "cancelled"]
            [verify.after.executed]
            never = ["cancelled"]
            eventually = ["settled", "failed"]
            """)
        #expect(results.map(\.holds) == [true, false, true, true])
        #expect(results[1].detail == "counter-example: queued → running → failed → queued → … (cycle)")
        let failure = outcome.diagnostics.first { $0.code == .verifyFailed }
        #expect(failure != nil)
        // The diagnostic points at the property's line in soma.toml.
        #expect(outcome.sources.file(failure!.span.file)?.position(of: failure!.span.start).line == 3)
    }

    @Test func ctlFormulas() {
        let (_, results) = results("""
            [verify]
            ctl = ["EF settled", "AG(executed -> AF settled)", "AG(!failed)", "A[!settled U executed]"]
            """)
        #expect(results.map(\.holds) == [true, true, false, false])
        #expect(results[2].detail == "counter-example: queued → running → failed")
    }

    @Test func malformedCTLIsAnInvalidProperty() {
        let (outcome, _) = results("[verify]\nctl = [\"AG(settled\"]\n")
        #expect(outcome.diagnostics.map(\.code.rawValue) == ["verify-invalid"])
    }

    @Test func unknownStatesAndConfigErrors() {
        #expect(codes(machine, config: "[verify]\neventually = [\"nirvana\"]\n") == ["verify-unknown-state"])
        #expect(codes(machine, config: "[verify]\ndeadlock_free = \"yes\"\n") == ["config"])
        #expect(codes(machine, config: "[verify]\nliveness = true\n") == ["config"])
        #expect(codes(machine, config: "[verify\n") == ["config"])
    }

    @Test func propertiesApplyToMachinesThatDeclareTheirStates() {
        let two = """
            cell A { state { a1 -> a2 } }
            cell B { state { b1 -> b2 -> b1 } }
            """
        let outcome = SomaCheck.check(source: two, config: "[verify]\neventually = [\"a2\"]\n")
        #expect(!outcome.hasErrors)
        #expect(outcome.verifications.map { $0.results.count } == [1, 0])
    }
}
