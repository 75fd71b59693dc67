import Diagnostics

/// JUnit XML of test results: one `testsuite` per test file, a `failure` per failed test
/// with the rendered diagnostics as its text.
public enum JUnitReport {
    public static func render(_ outcomes: [FlowTestFileOutcome]) -> String {
        let renderer = TextRenderer(colored: false)
        var suites: [String] = []
        var tests = 0, failures = 0, errors = 0
        for outcome in outcomes {
            var cases: [String] = []
            var suiteFailures = 0
            if outcome.hasFileErrors {
                errors += 1
                let text = outcome.diagnostics.map { renderer.render($0, sources: outcome.sources) }.joined(separator: "\n")
                cases.append("    <testcase classname=\"\(escape(outcome.path))\" name=\"(file)\"><error message=\"test file has errors\">\(escape(text))</error></testcase>")
            }
            for result in outcome.results {
                tests += 1
                let opening = "    <testcase classname=\"\(escape(outcome.path))\" name=\"\(escape(result.name))\" time=\"\(String(format: "%.3f", result.seconds))\""
                if result.passed {
                    cases.append(opening + "/>")
                } else {
                    suiteFailures += 1
                    let text = result.failures.map { renderer.render($0, sources: outcome.sources) }.joined(separator: "\n")
                    let message = result.failures.first?.message ?? "failed"
                    cases.append(opening + "><failure message=\"\(escape(message))\">\(escape(text))</failure></testcase>")
                }
            }
            failures += suiteFailures
            let header = "  <testsuite name=\"\(escape(outcome.path))\" tests=\"\(outcome.results.count)\" failures=\"\(suiteFailures)\" errors=\"\(outcome.hasFileErrors ? 1 : 0)\">"
            suites.append(([header] + cases + ["  </testsuite>"]).joined(separator: "\n"))
        }
        return (["<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<testsuites tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\">"] + suites + ["</testsuites>"]).joined(separator: "\n") + "\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                // XML 1.0 cannot carry other control characters at all.
                if scalar.value < 0x20 { out += "?" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
