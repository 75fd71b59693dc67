import Testing

@Test func placeholderGraphTests() {}
