import Testing

@Test func placeholderCELTests() {}
