import Testing

@Test func placeholderFlowsTests() {}
