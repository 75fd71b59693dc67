import Testing

@Test func placeholderFlowcTests() {}
