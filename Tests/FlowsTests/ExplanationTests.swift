import Diagnostics
import Flows
import Testing

@Suite struct ExplanationTests {
    @Test func codesAreUniqueAndInRange() {
        let index = ExplanationIndex(FlowDiagnostics.explanations)
        #expect(index.duplicateCodes.isEmpty)
        for explanation in FlowDiagnostics.explanations {
            let number = Int(explanation.code.rawValue.dropFirst(2)) ?? -1
            #expect((100...199).contains(number), "\(explanation.code)")
        }
    }

    @Test(arguments: FlowDiagnostics.explanations.map(\.code.rawValue))
    func wrongExampleGivesTheCodeAndRightOneIsClean(code: String) {
        guard let explanation = FlowDiagnostics.explanations.first(where: { $0.code.rawValue == code }) else {
            Issue.record("no explanation for \(code)")
            return
        }
        let wrong = Lint.codes(explanation.wrong)
        #expect(Set(wrong) == [code], "wrong example of \(code) gives \(wrong)")
        let right = Lint.summary(explanation.right)
        #expect(right.isEmpty, "right example of \(code) gives \(right)")
    }
}
