import CEL

/// Finds reads of optional record fields that no `has()` test guards (SPEC 4.4), and the vars
/// an expression reads. A read is guarded when a `has()` of the same path is known true where
/// it is evaluated: the other side of `&&` (CEL's `&&` absorbs the error when the other side
/// is false, so both orders are safe), the right side of `!has(...) ||`, the branches of `?:`,
/// or a fact passed in from outside (a flow condition, an enclosing `if`). Paths are compared
/// by their written structure (`event.data.error.code`), not by value.
struct GuardAnalysis {
    struct Finding {
        var path: String
        var optionalForm: String
        var range: Range<Int>
        /// The path a guard must name to cover this read; nil when the read spells no path,
        /// which no guard covers. More outer facts can only remove findings, those whose
        /// key they contain: that lets one walk without outer facts serve every place.
        var guardKey: String?
    }

    let checked: CELChecked
    private(set) var varReads: Set<String> = []
    private(set) var unguarded: [Finding] = []
    /// Depth guard: parsed trees are bounded by the parser's limits, this is belt and braces.
    private var depth = 0

    init(checked: CELChecked) {
        self.checked = checked
    }

    /// The path a node spells, if it is names, field selections and literal indexes.
    static func key(_ expr: CELExpr) -> String? {
        switch expr.kind {
        case .identifier(let name):
            return name
        case .select(let operand, let field, _), .optionalSelect(let operand, let field):
            return key(operand).map { $0 + "." + field }
        case .call(let function, nil, let arguments) where function == CELOperator.index && arguments.count == 2:
            guard case .literal(let value) = arguments[1].kind, let base = key(arguments[0]) else { return nil }
            switch value {
            case .int(let index): return "\(base)[\(index)]"
            case .string(let name): return "\(base)[\"\(name)\"]"
            default: return nil
            }
        default:
            return nil
        }
    }

    /// What holds when `expr` is true.
    static func positive(_ expr: CELExpr) -> Guards {
        switch expr.kind {
        case .select(let operand, let field, true):
            return key(operand).map { [$0 + "." + field] } ?? []
        case .call(let function, nil, let arguments) where function == CELOperator.logicalAnd:
            return arguments.reduce(into: Guards()) { $0.formUnion(positive($1)) }
        case .call(let function, nil, let arguments) where function == CELOperator.logicalNot && arguments.count == 1:
            return negative(arguments[0])
        default:
            return []
        }
    }

    /// What holds when `expr` is false.
    static func negative(_ expr: CELExpr) -> Guards {
        switch expr.kind {
        case .call(let function, nil, let arguments) where function == CELOperator.logicalOr:
            return arguments.reduce(into: Guards()) { $0.formUnion(negative($1)) }
        case .call(let function, nil, let arguments) where function == CELOperator.logicalNot && arguments.count == 1:
            return positive(arguments[0])
        default:
            return []
        }
    }

    /// The `vars.NAME` reads of a tree, without types (for expressions that failed to check).
    static func varReads(in root: CELExpr) -> Set<String> {
        var reads = Set<String>()
        var stack = [root]
        while let expr = stack.popLast() {
            switch expr.kind {
            case .literal, .identifier:
                break
            case .select(let operand, let field, _), .optionalSelect(let operand, let field):
                if case .identifier("vars") = operand.kind { reads.insert(field) }
                stack.append(operand)
            case .call(_, let target, let arguments):
                if let target { stack.append(target) }
                stack += arguments
            case .list(let elements):
                stack += elements
            case .map(let entries):
                for entry in entries { stack += [entry.key, entry.value] }
            case .comprehension(let comprehension):
                stack += [comprehension.range, comprehension.body]
                if let filter = comprehension.filter { stack.append(filter) }
            }
        }
        return reads
    }

    mutating func walk(_ expr: CELExpr, guards: Guards) {
        depth += 1
        defer { depth -= 1 }
        guard depth < 512 else { return }
        switch expr.kind {
        case .literal, .identifier:
            return
        case .select(let operand, let field, let testOnly):
            if case .identifier("vars") = operand.kind { varReads.insert(field) }
            if !testOnly, case .record(let record) = checked.type(of: operand), record.field(named: field)?.optional == true {
                let path = Self.key(expr)
                if path.map({ !guards.contains($0) }) ?? true {
                    let written = path ?? field
                    let operandText = Self.key(operand) ?? "..."
                    unguarded.append(Finding(path: written, optionalForm: "\(operandText).?\(field)", range: expr.range, guardKey: path))
                }
            }
            walk(operand, guards: guards)
        case .optionalSelect(let operand, let field):
            if case .identifier("vars") = operand.kind { varReads.insert(field) }
            walk(operand, guards: guards)
        case .call(let function, let target, let arguments):
            if target == nil, function == CELOperator.logicalAnd, arguments.count == 2 {
                walk(arguments[0], guards: guards.union(Self.positive(arguments[1])))
                walk(arguments[1], guards: guards.union(Self.positive(arguments[0])))
            } else if target == nil, function == CELOperator.logicalOr, arguments.count == 2 {
                walk(arguments[0], guards: guards.union(Self.negative(arguments[1])))
                walk(arguments[1], guards: guards.union(Self.negative(arguments[0])))
            } else if target == nil, function == CELOperator.conditional, arguments.count == 3 {
                walk(arguments[0], guards: guards)
                walk(arguments[1], guards: guards.union(Self.positive(arguments[0])))
                walk(arguments[2], guards: guards.union(Self.negative(arguments[0])))
            } else {
                if let target { walk(target, guards: guards) }
                for argument in arguments { walk(argument, guards: guards) }
            }
        case .list(let elements):
            for element in elements { walk(element, guards: guards) }
        case .map(let entries):
            for entry in entries {
                walk(entry.key, guards: guards)
                walk(entry.value, guards: guards)
            }
        case .comprehension(let comprehension):
            walk(comprehension.range, guards: guards)
            var inner = guards
            if let filter = comprehension.filter {
                walk(filter, guards: guards)
                inner.formUnion(Self.positive(filter))
            }
            walk(comprehension.body, guards: inner)
        }
    }
}
