/// What expressions may refer to: variables with their types (each gets a slot that
/// activations fill) and functions with their overloads. Declaring is done once, before
/// checking; the environment is then shared, read-only, by checks and programs.
public struct CELEnvironment: Sendable {
    public struct Variable: Sendable {
        public let name: String
        public let type: CELType
        /// Index of the variable's value in a ``CELActivation``.
        public let slot: Int
    }

    public private(set) var variables: [Variable] = []
    /// Slots by name, built only once there are more variables than a linear scan handles
    /// well: a flow's scope has eight names and is built several times per flow.
    private var slotsByName: [String: Int] = [:]
    /// The first components of the dotted names declared (`a` of `a.b.c`), so that the
    /// checker builds a qualified name only for selections that could spell one.
    private var qualifiedPrefixes: [String] = []
    let functions: [String: [CELOverload]]
    public var limits: CELLimits
    /// Cost budget for one evaluation (comprehension iterations plus sizes of strings and
    /// lists built); exceeding it is an evaluation error.
    public var costLimit: Int

    private static let linearScanLimit = 16

    public init(limits: CELLimits = CELLimits(), costLimit: Int = 1_000_000) {
        self.functions = CELStandardLibrary.declarations
        self.limits = limits
        self.costLimit = costLimit
    }

    /// Room for `count` variables, for callers that declare a known number of them.
    public mutating func reserveCapacity(_ count: Int) {
        variables.reserveCapacity(count)
    }

    /// Declares a variable (a plain name like `event`, or a dotted one like `a.b.c`) and
    /// returns its slot. Redeclaring a name replaces its type and keeps its slot.
    @discardableResult
    public mutating func declare(_ name: String, type: CELType) -> Int {
        if let slot = slot(of: name) {
            variables[slot] = Variable(name: name, type: type, slot: slot)
            return slot
        }
        let slot = variables.count
        variables.append(Variable(name: name, type: type, slot: slot))
        if !slotsByName.isEmpty {
            slotsByName[name] = slot
        } else if variables.count > Self.linearScanLimit {
            var table: [String: Int] = [:]
            table.reserveCapacity(variables.count * 2)
            for variable in variables where table[variable.name] == nil { table[variable.name] = variable.slot }
            slotsByName = table
        }
        if let dot = name.utf8.firstIndex(of: UInt8(ascii: ".")) {
            let prefix = String(name[..<dot])
            if !qualifiedPrefixes.contains(prefix) { qualifiedPrefixes.append(prefix) }
        }
        return slot
    }

    private func slot(of name: String) -> Int? {
        if !slotsByName.isEmpty { return slotsByName[name] }
        for variable in variables where variable.name == name { return variable.slot }
        return nil
    }

    public func variable(named name: String) -> Variable? {
        slot(of: name).map { variables[$0] }
    }

    /// Whether a selection chain starting with the identifier `leading` could spell a declared
    /// dotted variable or a dotted type name (`google.protobuf.Timestamp`).
    func mayNameQualified(leading: String) -> Bool {
        let name = leading.hasPrefix(".") ? String(leading.dropFirst()) : leading
        return CELStandardLibrary.typeNamePrefixes.contains(name) || qualifiedPrefixes.contains(name)
    }

    /// Names of declared functions (for did-you-mean).
    var functionNames: [String] { Array(functions.keys).filter { !CELOperator.isOperator($0) } }

    /// Parses, checks and compiles in one step; the issues are all the errors found.
    public func compile(_ source: String) -> Result<CELProgram, CELIssues> {
        let parsed: CELParsed
        switch CELParser.parse(source, limits: limits) {
        case .success(let tree): parsed = tree
        case .failure(let issue): return .failure(CELIssues([issue]))
        }
        let checked = check(parsed)
        guard checked.issues.isEmpty else { return .failure(CELIssues(checked.issues)) }
        return .success(program(for: checked))
    }

    public func check(_ parsed: CELParsed) -> CELChecked {
        var checker = CELChecker(environment: self, nodeCount: parsed.nodeCount)
        return checker.check(parsed)
    }

    /// A program from a checked expression: field slots and overloads resolved from types.
    public func program(for checked: CELChecked) -> CELProgram {
        CELCompiler(environment: self, checked: checked).compile()
    }

    /// A program without type checking: every name is dyn, every dispatch dynamic.
    public func uncheckedProgram(for parsed: CELParsed) -> CELProgram {
        CELCompiler(environment: self, parsed: parsed).compile()
    }
}

/// Several issues, as one error value.
public struct CELIssues: Error, Sendable {
    public let issues: [CELIssue]

    public init(_ issues: [CELIssue]) {
        self.issues = issues
    }
}

/// One signature of a function: `receiver.name(parameters)` when `isMember`.
struct CELOverload: Sendable {
    let isMember: Bool
    let parameters: [CELType]
    let result: CELType
}
