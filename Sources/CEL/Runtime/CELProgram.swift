/// The values of an environment's variables for one evaluation, by slot. Reuse one
/// activation across evaluations on the same thread: programs keep their comprehension
/// variables in extra slots here, so evaluating allocates nothing of its own.
public final class CELActivation {
    @exclusivity(unchecked) var slots: [CELValue]
    @exclusivity(unchecked) var remainingCost = 0
    private let variables: [CELEnvironment.Variable]

    /// What unbound slots hold: the error naming the variable is made only when one is read
    /// (a run makes an activation per action, most of whose variables are then bound).
    static let unbound = CELEvaluationError("no value bound")

    /// Every variable starts unbound: reading it is an evaluation error naming it.
    public init(environment: CELEnvironment) {
        variables = environment.variables
        slots = Array(repeating: .error(Self.unbound), count: variables.count)
    }

    public subscript(slot: Int) -> CELValue {
        get { read(slot) }
        set { slots[slot] = newValue }
    }

    /// A variable's value, or the error naming it when it is unbound.
    @inline(__always)
    func read(_ slot: Int) -> CELValue {
        let value = slots[slot]
        if case .error(let error) = value, error === Self.unbound { return unboundError(slot) }
        return value
    }

    private func unboundError(_ slot: Int) -> CELValue {
        let name = slot < variables.count ? variables[slot].name : "slot \(slot)"
        return .fail("no value bound to `\(name)`")
    }

    /// Binds a declared variable by name; false when the environment has no such variable.
    @discardableResult
    public func bind(_ name: String, to value: CELValue, in environment: CELEnvironment) -> Bool {
        guard let variable = environment.variable(named: name), variable.slot < variables.count else { return false }
        slots[variable.slot] = value
        return true
    }

    func prepare(slotCount: Int, costLimit: Int) {
        if slots.count < slotCount {
            slots.append(contentsOf: repeatElement(.null, count: slotCount - slots.count))
        }
        remainingCost = costLimit
    }
}

/// An expression compiled once into a tree of closures: names resolved to slots, record
/// fields to slot indices, functions to their implementations. Evaluate it many times.
public struct CELProgram: Sendable {
    let root: CELEvaluator
    let slotCount: Int
    let costLimit: Int
    /// The checked type of the result (`dyn` for unchecked programs).
    public let resultType: CELType

    /// Evaluates against the bindings in `activation`. Errors come back as `.error` values.
    public func evaluate(_ activation: CELActivation) -> CELValue {
        activation.prepare(slotCount: slotCount, costLimit: costLimit)
        return root(activation)
    }

    /// Convenience for one-off evaluation with bindings by name.
    public func evaluate(_ bindings: [String: CELValue], in environment: CELEnvironment) -> CELValue {
        let activation = CELActivation(environment: environment)
        for (name, value) in bindings { activation.bind(name, to: value, in: environment) }
        return evaluate(activation)
    }
}

typealias CELEvaluator = @Sendable (CELActivation) -> CELValue
