import Diagnostics

/// What a name in the expression refers to, resolved once by the checker (or by the
/// compiler when unchecked).
public enum CELReference: Sendable, Hashable {
    case variable(slot: Int)
    case typeName(CELType)
}

/// A checked expression: the tree plus the type of every node (by node id) and what each
/// resolved name refers to. Later passes (the flows layer's optional-field analysis) walk
/// the tree with these facts.
public struct CELChecked: Sendable {
    public let parsed: CELParsed
    /// The type of each node, indexed by node id.
    public let types: [CELType]
    /// What each identifier (or qualified-name selection) node refers to, by node id.
    public let references: [Int: CELReference]
    public let issues: [CELIssue]

    /// The slots of the environment variables the expression reads.
    public var referencedSlots: Set<Int> {
        Set(references.values.compactMap { reference in
            if case .variable(let slot) = reference { return slot }
            return nil
        })
    }

    public var resultType: CELType { types[parsed.root.id] }

    public func type(of expr: CELExpr) -> CELType { types[expr.id] }
}

/// CEL's type checker: infers a type for every node, resolves names and overloads, reports
/// unknown names with suggestions and mismatched operands with both types.
struct CELChecker {
    let environment: CELEnvironment
    var types: [CELType]
    var references: [Int: CELReference] = [:]
    var issues: [CELIssue] = []
    /// Macro variables in scope, innermost last.
    var locals: [(name: String, type: CELType)] = []

    init(environment: CELEnvironment, nodeCount: Int) {
        self.environment = environment
        self.types = Array(repeating: .dyn, count: nodeCount)
    }

    mutating func check(_ parsed: CELParsed) -> CELChecked {
        _ = visit(parsed.root)
        return CELChecked(parsed: parsed, types: types, references: references, issues: issues)
    }

    private mutating func record(_ expr: CELExpr, _ type: CELType) -> CELType {
        types[expr.id] = type
        return type
    }

    private func local(_ name: String) -> CELType? {
        locals.last { $0.name == name }?.type
    }

    /// A global name: a declared variable or a type name.
    static func resolveGlobal(_ name: String, in environment: CELEnvironment) -> (CELReference, CELType)? {
        let name = name.hasPrefix(".") ? String(name.dropFirst()) : name
        if let variable = environment.variable(named: name) {
            return (.variable(slot: variable.slot), variable.type)
        }
        if let type = CELStandardLibrary.typeNames[name] {
            return (.typeName(type), .type(type))
        }
        return nil
    }

    private func leadingIdentifier(_ expr: CELExpr) -> String? {
        switch expr.kind {
        case .identifier(let name): return name
        case .select(let operand, _, false): return leadingIdentifier(operand)
        default: return nil
        }
    }

    private mutating func visit(_ expr: CELExpr) -> CELType {
        switch expr.kind {
        case .literal(let value):
            return record(expr, value.celType)
        case .identifier(let name):
            if !name.hasPrefix("."), let type = local(name) { return record(expr, type) }
            if let (reference, type) = Self.resolveGlobal(name, in: environment) {
                references[expr.id] = reference
                return record(expr, type)
            }
            let candidates = environment.variables.map(\.name) + locals.map(\.name)
            let suggestion = Suggestions.closest(to: name, in: candidates)
            issues.append(CELIssue(
                .celUnknownIdentifier, "unknown name `\(name)`", at: expr.range,
                label: suggestion.map { "did you mean `\($0)`?" } ?? "not declared",
                replacement: suggestion))
            return record(expr, .error)
        case .select(let operand, let field, let testOnly):
            if !testOnly, let leading = leadingIdentifier(expr), environment.mayNameQualified(leading: leading),
               let qualified = expr.qualifiedName, leading.hasPrefix(".") || local(leading) == nil,
               let (reference, type) = Self.resolveGlobal(qualified, in: environment) {
                references[expr.id] = reference
                return record(expr, type)
            }
            let operandType = visit(operand)
            if case .optional(let inner) = operandType, !testOnly {
                // Selection continues an optional chain: `a.?b.c` is optional too.
                let fieldType = selectType(inner, field: field, expr: expr)
                return record(expr, fieldType == .error ? .error : .optional(fieldType))
            }
            let fieldType = selectType(operandType, field: field, expr: expr)
            return record(expr, testOnly ? .bool : fieldType)
        case .optionalSelect(let operand, let field):
            var operandType = visit(operand)
            if case .optional(let inner) = operandType { operandType = inner }
            let fieldType = selectType(operandType, field: field, expr: expr)
            return record(expr, fieldType == .error ? .error : .optional(fieldType))
        case .call(let function, let target, let arguments):
            return record(expr, checkCall(expr, function: function, target: target, arguments: arguments))
        case .list(let elements):
            let elementTypes = elements.map { visit($0) }
            return record(expr, .list(join(elementTypes)))
        case .map(let entries):
            var keyTypes: [CELType] = []
            var valueTypes: [CELType] = []
            for entry in entries {
                let keyType = visit(entry.key)
                switch keyType {
                case .int, .uint, .bool, .string, .dyn, .error: break
                default:
                    issues.append(CELIssue(.celTypeMismatch, "map keys must be `int`, `uint`, `bool` or `string`, not `\(keyType)`", at: entry.key.range))
                }
                keyTypes.append(keyType)
                valueTypes.append(visit(entry.value))
            }
            return record(expr, .map(join(keyTypes), join(valueTypes)))
        case .comprehension(let comprehension):
            return record(expr, checkComprehension(comprehension, expr: expr))
        }
    }

    /// The common type of aggregate literal elements, or `dyn` when they differ.
    private func join(_ types: [CELType]) -> CELType {
        guard var joined = types.first(where: { !$0.isDynOrError }) else { return .dyn }
        for type in types where !type.isDynOrError {
            if type != joined {
                joined = .dyn
                break
            }
        }
        return joined
    }

    private mutating func selectType(_ operandType: CELType, field: String, expr: CELExpr) -> CELType {
        switch operandType {
        case .record(let recordType):
            if let declared = recordType.field(named: field) { return declared.type }
            let suggestion = Suggestions.closest(to: field, in: recordType.fields.map(\.name))
            let fieldRange = max(expr.range.lowerBound, expr.range.upperBound - field.utf8.count)..<expr.range.upperBound
            issues.append(CELIssue(
                .celUnknownField, "`\(recordType.name)` has no field `\(field)`", at: fieldRange,
                label: suggestion.map { "did you mean `\($0)`?" } ?? "unknown field",
                notes: suggestion == nil ? ["its fields are: " + recordType.fields.map { "`\($0.name)`" }.joined(separator: ", ")] : [],
                replacement: suggestion))
            return .error
        case .map(let key, let value):
            if key == .string || key.isDynOrError { return value }
            issues.append(CELIssue(.celTypeMismatch, "cannot select field `\(field)` of a map with `\(key)` keys", at: expr.range, label: "use `[...]` indexing"))
            return .error
        case .dyn, .error:
            return .dyn
        default:
            issues.append(CELIssue(.celUnknownField, "type `\(operandType)` has no fields; cannot select `\(field)`", at: expr.range))
            return .error
        }
    }

    private mutating func checkCall(_ expr: CELExpr, function: String, target: CELExpr?, arguments: [CELExpr]) -> CELType {
        if let qualified = Self.namespacedFunction(function, target: target, functions: environment.functions, isDeclared: { isDeclared($0) }) {
            return checkCall(expr, function: qualified, target: nil, arguments: arguments)
        }
        let name = function.hasPrefix(".") ? String(function.dropFirst()) : function
        var argumentTypes: [CELType] = []
        if let target { argumentTypes.append(visit(target)) }
        for argument in arguments { argumentTypes.append(visit(argument)) }
        guard let overloads = environment.functions[name] else {
            let suggestion = Suggestions.closest(to: name, in: environment.functionNames)
            let nameRange = calleeRange(expr, name: name, target: target)
            issues.append(CELIssue(
                .celUnknownFunction, "unknown function `\(name)`", at: nameRange,
                label: suggestion.map { "did you mean `\($0)`?" } ?? "not a CEL function",
                replacement: suggestion))
            return .error
        }
        let isMember = target != nil
        let shaped = overloads.filter { $0.isMember == isMember && $0.parameters.count == argumentTypes.count }
        if shaped.isEmpty {
            let counts = Set(overloads.filter { $0.isMember == isMember }.map { $0.parameters.count - (isMember ? 1 : 0) }).sorted()
            if counts.isEmpty {
                let style = isMember ? "as a method; call it as `\(name)(...)`" : "as a function; call it on a value, like `x.\(name)(...)`"
                issues.append(CELIssue(.celNoMatchingOverload, "`\(name)` cannot be called \(style)", at: expr.range))
            } else {
                let expected = counts.map(String.init).joined(separator: " or ")
                issues.append(CELIssue(.celArgumentCount, "`\(name)` takes \(expected) argument\(counts == [1] ? "" : "s"), not \(arguments.count)", at: expr.range))
            }
            return .error
        }
        if argumentTypes.contains(.error) { return .error }
        var results: [CELType] = []
        for overload in shaped {
            var bindings: [String: CELType] = [:]
            var matches = true
            for (parameter, argument) in zip(overload.parameters, argumentTypes) where !Self.isAssignable(parameter, argument, &bindings) {
                matches = false
                break
            }
            if matches { results.append(overload.result.substituting(bindings)) }
        }
        guard let first = results.first else {
            reportMismatch(expr, name: name, argumentTypes: argumentTypes, isMember: isMember)
            return .error
        }
        return results.allSatisfy { $0 == first } ? first : .dyn
    }

    private func isDeclared(_ name: String) -> Bool {
        local(name) != nil || Self.resolveGlobal(name, in: environment) != nil
    }

    /// `optional.of(x)` parses as a method `of` on `optional`; when `optional` is no variable
    /// and `optional.of` is a function, it is that function.
    static func namespacedFunction(_ function: String, target: CELExpr?, functions: [String: [CELOverload]], isDeclared: (String) -> Bool) -> String? {
        guard let target, let namespace = target.qualifiedName else { return nil }
        let qualified = namespace + "." + function
        guard functions[qualified] != nil else { return nil }
        let leading = namespace.split(separator: ".").first.map(String.init) ?? namespace
        guard !isDeclared(leading), !isDeclared(namespace) else { return nil }
        return qualified
    }

    private func calleeRange(_ expr: CELExpr, name: String, target: CELExpr?) -> Range<Int> {
        let start = target.map { $0.range.upperBound + 1 } ?? expr.range.lowerBound
        return start..<min(expr.range.upperBound, start + name.utf8.count)
    }

    private mutating func reportMismatch(_ expr: CELExpr, name: String, argumentTypes: [CELType], isMember: Bool) {
        let display = CELOperator.displayName(name)
        let typeList = argumentTypes.map { "`\($0)`" }
        if name == CELOperator.conditional, argumentTypes.count == 3 {
            var scratch: [String: CELType] = [:]
            if !Self.isAssignable(.bool, argumentTypes[0], &scratch) {
                issues.append(CELIssue(.celTypeMismatch, "the condition of `?:` must be `bool`, not `\(argumentTypes[0])`", at: expr.range))
            } else {
                issues.append(CELIssue(.celOperandMismatch, "the branches of `?:` have different types: \(typeList[1]) and \(typeList[2])", at: expr.range, label: "convert one branch, or wrap both in `dyn()`"))
            }
        } else if CELOperator.isOperator(name), argumentTypes.count == 2 {
            issues.append(CELIssue(.celOperandMismatch, "operator `\(display)` cannot be applied to \(typeList[0]) and \(typeList[1])", at: expr.range, label: "\(typeList[0]) \(display) \(typeList[1])"))
        } else if CELOperator.isOperator(name) {
            issues.append(CELIssue(.celOperandMismatch, "operator `\(display)` cannot be applied to \(typeList.joined(separator: ", "))", at: expr.range))
        } else {
            let shown = isMember ? "\(typeList[0]).\(name)(\(typeList.dropFirst().joined(separator: ", ")))" : "\(name)(\(typeList.joined(separator: ", ")))"
            issues.append(CELIssue(.celNoMatchingOverload, "no overload of `\(name)` matches \(shown)", at: expr.range))
        }
    }

    /// Whether an argument of type `argument` may be passed where `parameter` is expected,
    /// binding type parameters as it goes. `dyn` is assignable both ways.
    static func isAssignable(_ parameter: CELType, _ argument: CELType, _ bindings: inout [String: CELType]) -> Bool {
        switch (parameter, argument) {
        case (.typeParameter(let name), _):
            if let bound = bindings[name] {
                if bound.isDynOrError { return true }
                if argument.isDynOrError { return true }
                var nested = bindings
                if isAssignable(bound, argument, &nested), isAssignable(argument, bound, &nested) {
                    // Prefer the more specific of the two (`list(int)` over `list(dyn)`).
                    if containsDyn(bound), !containsDyn(argument) { bindings[name] = argument }
                    return true
                }
                return false
            }
            bindings[name] = argument
            return true
        case (_, .error), (.error, _), (.dyn, _), (_, .dyn):
            return true
        case (.list(let p), .list(let a)), (.optional(let p), .optional(let a)):
            return isAssignable(p, a, &bindings)
        case (.map(let pk, let pv), .map(let ak, let av)):
            return isAssignable(pk, ak, &bindings) && isAssignable(pv, av, &bindings)
        case (.type, .type):
            // All type values have the one runtime type `type`.
            return true
        case (_, .typeParameter):
            return true
        default:
            return parameter == argument
        }
    }

    private static func containsDyn(_ type: CELType) -> Bool {
        switch type {
        case .dyn: return true
        case .list(let element): return containsDyn(element)
        case .map(let key, let value): return containsDyn(key) || containsDyn(value)
        default: return false
        }
    }

    private mutating func checkComprehension(_ comprehension: CELExpr.Comprehension, expr: CELExpr) -> CELType {
        let rangeType = visit(comprehension.range)
        let variableType: CELType
        switch rangeType {
        case .list(let element): variableType = element
        case .map(let key, _): variableType = key
        case .dyn, .error: variableType = .dyn
        default:
            issues.append(CELIssue(.celTypeMismatch, "`\(comprehension.macro.rawValue)()` needs a list or a map, not `\(rangeType)`", at: comprehension.range.range))
            variableType = .error
        }
        locals.append((comprehension.variable, variableType))
        defer { locals.removeLast() }
        if let filter = comprehension.filter {
            expectBool(visit(filter), filter, context: "the filter of `map()`")
        }
        let bodyType = visit(comprehension.body)
        switch comprehension.macro {
        case .all, .exists, .existsOne:
            expectBool(bodyType, comprehension.body, context: "the predicate of `\(comprehension.macro.rawValue)()`")
            return .bool
        case .filter:
            expectBool(bodyType, comprehension.body, context: "the predicate of `filter()`")
            return .list(variableType)
        case .map:
            return .list(bodyType)
        }
    }

    private mutating func expectBool(_ type: CELType, _ expr: CELExpr, context: String) {
        switch type {
        case .bool, .dyn, .error: return
        default:
            issues.append(CELIssue(.celTypeMismatch, "\(context) must be `bool`, not `\(type)`", at: expr.range))
        }
    }
}
