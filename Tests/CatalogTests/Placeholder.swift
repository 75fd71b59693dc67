import Testing

@Test func placeholderCatalogTests() {}
