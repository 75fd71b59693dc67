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
    private var slotsByName: [String: Int] = [:]
    let functions: [String: [CELOverload]]
    public var limits: CELLimits
    /// Cost budget for one evaluation (comprehension iterations plus sizes of strings and
    /// lists built); exceeding it is an evaluation error.
    public var costLimit: Int

    public init(limits: CELLimits = CELLimits(), costLimit: Int = 1_000_000) {
        self.functions = CELStandardLibrary.declarations
        self.limits = limits
        self.costLimit = costLimit
    }

    /// Declares a variable (a plain name like `event`, or a dotted one like `a.b.c`) and
    /// returns its slot. Redeclaring a name replaces its type and keeps its slot.
    @discardableResult
    public mutating func declare(_ name: String, type: CELType) -> Int {
        if let slot = slotsByName[name] {
            variables[slot] = Variable(name: name, type: type, slot: slot)
            return slot
        }
        let slot = variables.count
        variables.append(Variable(name: name, type: type, slot: slot))
        slotsByName[name] = slot
        return slot
    }

    public func variable(named name: String) -> Variable? {
        slotsByName[name].map { variables[$0] }
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
