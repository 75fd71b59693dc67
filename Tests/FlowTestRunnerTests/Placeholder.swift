import Testing

@Test func placeholderFlowTestRunnerTests() {}
