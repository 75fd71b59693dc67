/// Turns a (checked or unchecked) tree into closures. With types, record field selections
/// become slot reads and common operator shapes get specialized closures; without types
/// everything dispatches on the runtime value.
struct CELCompiler {
    let environment: CELEnvironment
    let parsed: CELParsed
    let types: [CELType]?
    private var scopes: [(name: String, slot: Int)] = []
    private var localCount = 0

    init(environment: CELEnvironment, checked: CELChecked) {
        self.environment = environment
        self.parsed = checked.parsed
        self.types = checked.types
    }

    init(environment: CELEnvironment, parsed: CELParsed) {
        self.environment = environment
        self.parsed = parsed
        self.types = nil
    }

    func compile() -> CELProgram {
        var compiler = self
        let root = compiler.compile(parsed.root)
        return CELProgram(
            root: root,
            slotCount: environment.variables.count + compiler.localCount,
            costLimit: environment.costLimit,
            resultType: types?[parsed.root.id] ?? .dyn)
    }

    private func type(of expr: CELExpr) -> CELType {
        types?[expr.id] ?? .dyn
    }

    private static func constant(_ value: CELValue) -> CELEvaluator {
        { _ in value }
    }

    private func localSlot(_ name: String) -> Int? {
        scopes.last { $0.name == name }?.slot
    }

    private func isDeclared(_ name: String) -> Bool {
        localSlot(name) != nil || CELChecker.resolveGlobal(name, in: environment) != nil
    }

    private func leadingIdentifier(_ expr: CELExpr) -> String? {
        switch expr.kind {
        case .identifier(let name): return name
        case .select(let operand, _, false): return leadingIdentifier(operand)
        default: return nil
        }
    }

    private static func read(_ reference: CELReference) -> CELEvaluator {
        switch reference {
        case .variable(let slot): return { $0.read(slot) }
        case .typeName(let type): return constant(.type(type))
        }
    }

    private mutating func compile(_ expr: CELExpr) -> CELEvaluator {
        switch expr.kind {
        case .literal(let value):
            return Self.constant(value)
        case .identifier(let name):
            if !name.hasPrefix("."), let slot = localSlot(name) { return { $0.slots[slot] } }
            let range = expr.range
            if let (reference, _) = CELChecker.resolveGlobal(name, in: environment) {
                if case .variable(let slot) = reference {
                    // Unbound variables hold an error without a range; give it this one.
                    return { activation in Self.locate(activation.read(slot), range) }
                }
                return Self.read(reference)
            }
            return Self.constant(.error(CELEvaluationError("undeclared reference to `\(name)`", range: range)))
        case .select(let operand, let field, let testOnly):
            if !testOnly, let qualified = expr.qualifiedName, let leading = leadingIdentifier(expr),
               leading.hasPrefix(".") || localSlot(leading) == nil,
               let (reference, _) = CELChecker.resolveGlobal(qualified, in: environment) {
                return Self.read(reference)
            }
            let operandEval = compile(operand)
            let range = expr.range
            if testOnly {
                return { Self.locate(CELOperations.has(operandEval($0), field: field), range) }
            }
            if case .record(let recordType) = type(of: operand), let declared = recordType.field(named: field) {
                let slot = declared.slot
                let notSet = CELValue.fail("field `\(field)` is not set")
                return { activation in
                    let value = operandEval(activation)
                    if case .record(let record) = value, record.type === recordType {
                        return record.fields[slot] ?? Self.locate(notSet, range)
                    }
                    return Self.locate(CELOperations.select(value, field: field), range)
                }
            }
            return { Self.locate(CELOperations.select(operandEval($0), field: field), range) }
        case .optionalSelect(let operand, let field):
            let operandEval = compile(operand)
            return { CELOperations.optionalSelect(operandEval($0), field: field) }
        case .list(let elements):
            let literals = elements.compactMap { element -> CELValue? in
                if case .literal(let value) = element.kind { return value }
                return nil
            }
            if literals.count == elements.count { return Self.constant(.list(literals)) }
            let compiled = elements.map { compile($0) }
            return { activation in
                var values: [CELValue] = []
                values.reserveCapacity(compiled.count)
                for element in compiled {
                    let value = element(activation)
                    if value.isError { return value }
                    values.append(value)
                }
                return .list(values)
            }
        case .map(let entries):
            let compiled = entries.map { (compile($0.key), compile($0.value)) }
            return { activation in
                var values: [(key: CELValue, value: CELValue)] = []
                values.reserveCapacity(compiled.count)
                for (keyEval, valueEval) in compiled {
                    let key = keyEval(activation)
                    if key.isError { return key }
                    let value = valueEval(activation)
                    if value.isError { return value }
                    values.append((key, value))
                }
                switch CELMap.make(values) {
                case .success(let map): return .map(map)
                case .failure(let error): return .error(error)
                }
            }
        case .call(let function, let target, let arguments):
            return compileCall(expr, function: function, target: target, arguments: arguments)
        case .comprehension(let comprehension):
            return compileComprehension(comprehension)
        }
    }

    // MARK: - Calls

    private mutating func compileCall(_ expr: CELExpr, function: String, target: CELExpr?, arguments: [CELExpr]) -> CELEvaluator {
        if let qualified = CELChecker.namespacedFunction(function, target: target, functions: environment.functions, isDeclared: { isDeclared($0) }) {
            return compileCall(expr, function: qualified, target: nil, arguments: arguments)
        }
        let name = function.hasPrefix(".") ? String(function.dropFirst()) : function
        let operands = (target.map { [$0] } ?? []) + arguments
        switch (name, operands.count) {
        case ("optional.none", 0):
            return Self.constant(.optional(nil))
        case ("or", 2), ("orValue", 2):
            // Short-circuit: the alternative is only evaluated when the optional is empty.
            let optional = compile(operands[0])
            let alternative = compile(operands[1])
            let unwrap = name == "orValue"
            return { activation in
                let value = optional(activation)
                guard case .optional(let inner) = value else {
                    return value.isError ? value : .noOverload(name, value)
                }
                if let inner { return unwrap ? inner : value }
                return alternative(activation)
            }
        case (CELOperator.logicalAnd, 2):
            return Self.logical(compile(operands[0]), compile(operands[1]), absorbing: false)
        case (CELOperator.logicalOr, 2):
            return Self.logical(compile(operands[0]), compile(operands[1]), absorbing: true)
        case (CELOperator.conditional, 3):
            let condition = compile(operands[0])
            let whenTrue = compile(operands[1])
            let whenFalse = compile(operands[2])
            return { activation in
                switch condition(activation) {
                case .bool(true): return whenTrue(activation)
                case .bool(false): return whenFalse(activation)
                case .error(let error): return .error(error)
                case let other: return .noOverload(CELOperator.conditional, other)
                }
            }
        default:
            break
        }
        let compiled = operands.map { compile($0) }
        if let specialized = specialize(name, operands: operands, compiled: compiled) { return specialized }
        guard let implementation = CELBuiltins.function(name, arity: operands.count) else {
            let message = "unknown function `\(name)` with \(operands.count) argument\(operands.count == 1 ? "" : "s")"
            return { activation in
                for operand in compiled {
                    let value = operand(activation)
                    if value.isError { return value }
                }
                return .fail(message)
            }
        }
        let chargesSize = name == "_+_"
        let range = expr.range
        switch (implementation, compiled.count) {
        case (.unary(let apply), 1):
            let argument = compiled[0]
            return { activation in
                let value = argument(activation)
                if value.isError { return value }
                return Self.locate(apply(value), range)
            }
        case (.binary(let apply), 2):
            let lhs = compiled[0]
            let rhs = compiled[1]
            if chargesSize {
                return { activation in
                    let left = lhs(activation)
                    if left.isError { return left }
                    let right = rhs(activation)
                    if right.isError { return right }
                    return Self.locate(Self.charge(apply(left, right), activation), range)
                }
            }
            return { activation in
                let left = lhs(activation)
                if left.isError { return left }
                let right = rhs(activation)
                if right.isError { return right }
                return Self.locate(apply(left, right), range)
            }
        case (.ternary(let apply), 3):
            let (first, second, third) = (compiled[0], compiled[1], compiled[2])
            return { activation in
                let a = first(activation)
                if a.isError { return a }
                let b = second(activation)
                if b.isError { return b }
                let c = third(activation)
                if c.isError { return c }
                return Self.locate(apply(a, b, c), range)
            }
        default:
            return Self.constant(.fail("internal: arity mismatch for `\(name)`"))
        }
    }

    static let costExceeded = CELValue.fail("evaluation cost budget exceeded")

    /// A new error (from this node, not an operand) gets the node's range. Only the error path
    /// pays for it.
    @inline(__always)
    private static func locate(_ value: CELValue, _ range: Range<Int>) -> CELValue {
        if case .error(let error) = value, error.range == nil {
            return .error(CELEvaluationError(error.message, range: range))
        }
        return value
    }

    /// Strings, bytes and lists built by `+` count their size against the budget.
    private static func charge(_ value: CELValue, _ activation: CELActivation) -> CELValue {
        let size: Int
        switch value {
        case .string(let text): size = text.utf8.count
        case .bytes(let bytes): size = bytes.count
        case .list(let elements): size = elements.count
        default: return value
        }
        activation.remainingCost -= size
        return activation.remainingCost < 0 ? costExceeded : value
    }

    /// `&&` (absorbing false) and `||` (absorbing true): either side decides, errors only win
    /// when the other side does not decide.
    private static func logical(_ lhs: @escaping CELEvaluator, _ rhs: @escaping CELEvaluator, absorbing decisive: Bool) -> CELEvaluator {
        let function = decisive ? CELOperator.logicalOr : CELOperator.logicalAnd
        return { activation in
            let left = lhs(activation)
            if case .bool(let flag) = left {
                if flag == decisive { return left }
                let right = rhs(activation)
                if case .bool = right { return right }
                if right.isError { return right }
                return .noOverload(function, right)
            }
            let right = rhs(activation)
            if case .bool(let flag) = right, flag == decisive { return right }
            if left.isError { return left }
            if right.isError { return right }
            return .noOverload(function, left, right)
        }
    }

    /// Closures for shapes that matter on hot paths: comparisons of an int with an int
    /// literal, and string tests against a literal.
    private func specialize(_ name: String, operands: [CELExpr], compiled: [CELEvaluator]) -> CELEvaluator? {
        guard operands.count == 2, case .literal(let literal) = operands[1].kind else { return nil }
        let lhs = compiled[0]
        switch (name, literal) {
        case ("_>_", .int(let bound)):
            return { activation in
                let value = lhs(activation)
                if case .int(let number) = value { return .bool(number > bound) }
                if value.isError { return value }
                return CELOperations.compare("_>_", value, literal) { $0 == .greater }
            }
        case ("_<_", .int(let bound)):
            return { activation in
                let value = lhs(activation)
                if case .int(let number) = value { return .bool(number < bound) }
                if value.isError { return value }
                return CELOperations.compare("_<_", value, literal) { $0 == .less }
            }
        case ("_==_", .string(let text)):
            let bytes = Array(text.utf8)
            return { activation in
                let value = lhs(activation)
                if case .string(let other) = value { return .bool(other.utf8.elementsEqual(bytes)) }
                if value.isError { return value }
                return .bool(CELValue.equal(value, literal))
            }
        case ("startsWith", .string(let prefix)):
            let bytes = Array(prefix.utf8)
            return { activation in
                let value = lhs(activation)
                if case .string(let text) = value { return .bool(text.utf8.starts(with: bytes)) }
                if value.isError { return value }
                return .noOverload("startsWith", value, literal)
            }
        case ("matches", .string(let pattern)):
            // Compile the pattern once; an invalid pattern is an error on every evaluation.
            let regex = CELRegex.compile(pattern)
            return { activation in
                let value = lhs(activation)
                if value.isError { return value }
                guard case .string(let text) = value else { return .noOverload("matches", value, literal) }
                switch regex {
                case .success(let compiled): return .bool(compiled.matches(text))
                case .failure(let error): return .error(error)
                }
            }
        default:
            return nil
        }
    }

    // MARK: - Macros

    private mutating func compileComprehension(_ comprehension: CELExpr.Comprehension) -> CELEvaluator {
        let rangeEval = compile(comprehension.range)
        let slot = environment.variables.count + scopes.count
        scopes.append((comprehension.variable, slot))
        localCount = max(localCount, scopes.count)
        let body = compile(comprehension.body)
        let filter = comprehension.filter.map { compile($0) }
        scopes.removeLast()
        let macro = comprehension.macro
        let macroName = macro.rawValue
        return { activation in
            let range = rangeEval(activation)
            let items: [CELValue]
            switch range {
            case .list(let elements): items = elements
            case .map(let map): items = map.entries.map(\.key)
            case .error: return range
            default: return .noOverload(macroName, range)
            }
            var firstError: CELValue?
            var count = 0
            var results: [CELValue] = []
            for item in items {
                activation.remainingCost -= 1
                if activation.remainingCost < 0 { return CELCompiler.costExceeded }
                activation.slots[slot] = item
                if let filter {
                    switch filter(activation) {
                    case .bool(true): break
                    case .bool(false): continue
                    case .error(let error): return .error(error)
                    case let other: return .noOverload(macroName, other)
                    }
                }
                let value = body(activation)
                switch macro {
                case .all, .exists:
                    let decisive = macro == .exists
                    if case .bool(let flag) = value {
                        if flag == decisive { return value }
                    } else if firstError == nil {
                        firstError = value.isError ? value : .noOverload(macroName, value)
                    }
                case .existsOne:
                    guard case .bool(let flag) = value else { return value.isError ? value : .noOverload(macroName, value) }
                    if flag { count += 1 }
                case .map:
                    if value.isError { return value }
                    results.append(value)
                case .filter:
                    guard case .bool(let flag) = value else { return value.isError ? value : .noOverload(macroName, value) }
                    if flag { results.append(item) }
                }
            }
            switch macro {
            case .all: return firstError ?? .bool(true)
            case .exists: return firstError ?? .bool(false)
            case .existsOne: return .bool(count == 1)
            case .map, .filter: return .list(results)
            }
        }
    }
}
