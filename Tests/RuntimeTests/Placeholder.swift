import Testing

@Test func placeholderRuntimeTests() {}
