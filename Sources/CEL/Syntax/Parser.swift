/// Limits that keep hostile or accidental input from exhausting the stack or memory.
public struct CELLimits: Sendable {
    /// Longest expression text, in UTF-8 bytes.
    public var maxLength: Int = 100_000
    /// Deepest syntax tree (and deepest recursion of the parser over parentheses).
    public var maxDepth: Int = 250

    public init(maxLength: Int = 100_000, maxDepth: Int = 250) {
        self.maxLength = maxLength
        self.maxDepth = maxDepth
    }
}

/// The outcome of parsing: a tree, or the first syntax error.
public struct CELParsed: Sendable {
    public let source: String
    public let root: CELExpr
    /// Number of nodes; node ids are `0..<nodeCount`.
    public let nodeCount: Int
}

/// Recursive-descent parser for the whole CEL grammar, with the macros expanded into
/// comprehension nodes. Depth is checked before each recursion, so nesting gives an error,
/// never a stack overflow.
public struct CELParser {
    private let tokens: [Token]
    private var position = 0
    private var nextID = 0
    private var heights: [Int] = []
    private var recursion = 0
    private let limits: CELLimits

    private static let reserved: Set<String> = [
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
        "loop", "package", "namespace", "return", "var", "void", "while",
    ]

    public static func parse(_ source: String, limits: CELLimits = CELLimits()) -> Result<CELParsed, CELIssue> {
        let bytes = Array(source.utf8)
        guard bytes.count <= limits.maxLength else {
            return .failure(CELIssue(.celTooLong, "expression is too long (\(bytes.count) bytes, at most \(limits.maxLength))", at: 0..<0))
        }
        let tokens: [Token]
        switch Lexer.tokenize(bytes) {
        case .success(let lexed): tokens = lexed
        case .failure(let issue): return .failure(issue)
        }
        var parser = CELParser(tokens: tokens, limits: limits)
        do throws(CELIssue) {
            let root = try parser.parseExpression()
            let trailing = parser.current
            if trailing.kind != .end {
                throw CELIssue(.celSyntax, "unexpected \(describe(trailing.kind)) after the end of the expression", at: trailing.range, label: "expected an operator or the end")
            }
            return .success(CELParsed(source: source, root: root, nodeCount: parser.nextID))
        } catch {
            return .failure(error)
        }
    }

    private init(tokens: [Token], limits: CELLimits) {
        self.tokens = tokens
        self.limits = limits
    }

    // MARK: - Tokens

    private var current: Token { tokens[min(position, tokens.count - 1)] }

    private mutating func advance() -> Token {
        let token = current
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func isPunctuation(_ text: String) -> Bool {
        current.kind == .punctuation(text)
    }

    private mutating func accept(_ text: String) -> Bool {
        guard isPunctuation(text) else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ text: String, _ context: String) throws(CELIssue) -> Token {
        guard isPunctuation(text) else {
            throw CELIssue(.celSyntax, "expected `\(text)` \(context), found \(Self.describe(current.kind))", at: current.range, label: "expected `\(text)`")
        }
        return advance()
    }

    static func describe(_ kind: Token.Kind) -> String {
        switch kind {
        case .identifier(let name): return "`\(name)`"
        case .quotedIdentifier(let name): return "`` `\(name)` ``"
        case .int, .uint, .double: return "a number"
        case .string: return "a string"
        case .bytes: return "a bytes literal"
        case .punctuation(let text): return "`\(text)`"
        case .end: return "the end of the expression"
        }
    }

    // MARK: - Nodes

    private mutating func node(_ kind: CELExpr.Kind, _ range: Range<Int>, children: [CELExpr]) throws(CELIssue) -> CELExpr {
        var height = 1
        for child in children { height = max(height, heights[child.id] + 1) }
        if height > limits.maxDepth {
            throw CELIssue(.celTooDeep, "expression is nested too deeply (more than \(limits.maxDepth) levels)", at: range, label: "simplify or split this expression")
        }
        let expr = CELExpr(id: nextID, range: range, kind: kind)
        nextID += 1
        heights.append(height)
        return expr
    }

    private mutating func call(_ function: String, _ range: Range<Int>, target: CELExpr? = nil, _ arguments: [CELExpr]) throws(CELIssue) -> CELExpr {
        try node(.call(function: function, target: target, arguments: arguments), range, children: (target.map { [$0] } ?? []) + arguments)
    }

    private mutating func enter() throws(CELIssue) {
        recursion += 1
        if recursion > limits.maxDepth {
            throw CELIssue(.celTooDeep, "expression is nested too deeply (more than \(limits.maxDepth) levels)", at: current.range, label: "simplify or split this expression")
        }
    }

    // MARK: - Grammar

    /// Expr = ConditionalOr ["?" ConditionalOr ":" Expr]
    private mutating func parseExpression() throws(CELIssue) -> CELExpr {
        try enter()
        defer { recursion -= 1 }
        let condition = try parseOr()
        guard accept("?") else { return condition }
        let whenTrue = try parseOr()
        _ = try expect(":", "in a conditional expression")
        let whenFalse = try parseExpression()
        return try call(CELOperator.conditional, condition.range.lowerBound..<whenFalse.range.upperBound, [condition, whenTrue, whenFalse])
    }

    /// `a || b || c` as a balanced tree, so long chains stay shallow (the operators are
    /// commutative in CEL, so the shape does not change the result).
    private mutating func parseOr() throws(CELIssue) -> CELExpr {
        var operands = [try parseAnd()]
        while accept("||") {
            operands.append(try parseAnd())
        }
        return try balance(operands[...], function: CELOperator.logicalOr)
    }

    private mutating func parseAnd() throws(CELIssue) -> CELExpr {
        var operands = [try parseRelation()]
        while accept("&&") {
            operands.append(try parseRelation())
        }
        return try balance(operands[...], function: CELOperator.logicalAnd)
    }

    private mutating func balance(_ operands: ArraySlice<CELExpr>, function: String) throws(CELIssue) -> CELExpr {
        if operands.count == 1, let only = operands.first { return only }
        let middle = operands.startIndex + operands.count / 2
        let left = try balance(operands[operands.startIndex..<middle], function: function)
        let right = try balance(operands[middle...], function: function)
        return try call(function, left.range.lowerBound..<right.range.upperBound, [left, right])
    }

    private mutating func parseRelation() throws(CELIssue) -> CELExpr {
        var left = try parseAddition()
        while true {
            let token = current
            var symbol: String?
            if case .punctuation(let text) = token.kind, ["<", "<=", ">", ">=", "==", "!="].contains(text) { symbol = text }
            if token.kind == .identifier("in") { symbol = "in" }
            guard let symbol, let function = CELOperator.binary[symbol] else { return left }
            _ = advance()
            let right = try parseAddition()
            left = try call(function, left.range.lowerBound..<right.range.upperBound, [left, right])
        }
    }

    private mutating func parseAddition() throws(CELIssue) -> CELExpr {
        var left = try parseMultiplication()
        while isPunctuation("+") || isPunctuation("-") {
            guard case .punctuation(let symbol) = advance().kind, let function = CELOperator.binary[symbol] else { break }
            let right = try parseMultiplication()
            left = try call(function, left.range.lowerBound..<right.range.upperBound, [left, right])
        }
        return left
    }

    private mutating func parseMultiplication() throws(CELIssue) -> CELExpr {
        var left = try parseUnary()
        while isPunctuation("*") || isPunctuation("/") || isPunctuation("%") {
            guard case .punctuation(let symbol) = advance().kind, let function = CELOperator.binary[symbol] else { break }
            let right = try parseUnary()
            left = try call(function, left.range.lowerBound..<right.range.upperBound, [left, right])
        }
        return left
    }

    /// Unary = Member | "!" {"!"} Member | "-" {"-"} Member. A `-` directly before a number
    /// is part of the literal, so `-9223372036854775808` is in range.
    private mutating func parseUnary() throws(CELIssue) -> CELExpr {
        var operators: [Token] = []
        while isPunctuation("!") || isPunctuation("-") {
            operators.append(advance())
        }
        var operand: CELExpr
        if let last = operators.last, last.kind == .punctuation("-"), isNumber(current.kind) {
            operators.removeLast()
            operand = try parseMember(negatedLiteralStart: last.range.lowerBound)
        } else {
            operand = try parseMember(negatedLiteralStart: nil)
        }
        for token in operators.reversed() {
            let function = token.kind == .punctuation("!") ? CELOperator.logicalNot : CELOperator.negate
            operand = try call(function, token.range.lowerBound..<operand.range.upperBound, [operand])
        }
        return operand
    }

    private func isNumber(_ kind: Token.Kind) -> Bool {
        switch kind {
        case .int, .double: return true
        default: return false
        }
    }

    private mutating func parseMember(negatedLiteralStart: Int?) throws(CELIssue) -> CELExpr {
        var expr = try parsePrimary(negatedLiteralStart: negatedLiteralStart)
        while true {
            if accept(".") {
                let optional = accept("?")
                let nameToken = advance()
                if optional {
                    let name: String
                    switch nameToken.kind {
                    case .identifier(let word) where !["true", "false", "null", "in"].contains(word): name = word
                    case .quotedIdentifier(let word): name = word
                    default:
                        throw CELIssue(.celSyntax, "expected a field name after `.?`, found \(Self.describe(nameToken.kind))", at: nameToken.range, label: "expected a name")
                    }
                    expr = try node(.optionalSelect(operand: expr, field: name), expr.range.lowerBound..<nameToken.range.upperBound, children: [expr])
                    continue
                }
                if case .quotedIdentifier(let name) = nameToken.kind {
                    expr = try node(.select(operand: expr, field: name, testOnly: false), expr.range.lowerBound..<nameToken.range.upperBound, children: [expr])
                    continue
                }
                guard case .identifier(let name) = nameToken.kind else {
                    throw CELIssue(.celSyntax, "expected a field or method name after `.`, found \(Self.describe(nameToken.kind))", at: nameToken.range, label: "expected a name")
                }
                if ["true", "false", "null", "in"].contains(name) {
                    throw CELIssue(.celReservedWord, "`\(name)` is a keyword and cannot be a field name", at: nameToken.range)
                }
                if isPunctuation("(") {
                    _ = advance()
                    let (arguments, close) = try parseList(closing: ")", context: "to close the argument list")
                    let range = expr.range.lowerBound..<close
                    if let expanded = try expandReceiverMacro(name, target: expr, arguments: arguments, range: range) {
                        expr = expanded
                    } else {
                        expr = try call(name, range, target: expr, arguments)
                    }
                } else {
                    expr = try node(.select(operand: expr, field: name, testOnly: false), expr.range.lowerBound..<nameToken.range.upperBound, children: [expr])
                }
            } else if accept("[") {
                let optional = accept("?")
                try enter()
                let index = try parseExpression()
                recursion -= 1
                let close = try expect("]", "to close the index")
                expr = try call(optional ? CELOperator.optionalIndex : CELOperator.index, expr.range.lowerBound..<close.range.upperBound, [expr, index])
            } else if isPunctuation("{"), expr.qualifiedName != nil {
                throw CELIssue(.celUnsupported, "message construction is not supported in flowc", at: expr.range.lowerBound..<current.range.upperBound, label: "use a map literal `{\"field\": value}` instead")
            } else {
                return expr
            }
        }
    }

    private mutating func parsePrimary(negatedLiteralStart: Int?) throws(CELIssue) -> CELExpr {
        let token = advance()
        switch token.kind {
        case .int(let magnitude, let overflowed):
            let start = negatedLiteralStart ?? token.range.lowerBound
            let range = start..<token.range.upperBound
            if negatedLiteralStart != nil {
                guard !overflowed, magnitude <= UInt64(Int64.max) + 1 else {
                    throw CELIssue(.celIntegerRange, "integer literal out of range", at: range, label: "smaller than -9223372036854775808")
                }
                let value = magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
                return try node(.literal(.int(value)), range, children: [])
            }
            guard !overflowed, magnitude <= UInt64(Int64.max) else {
                throw CELIssue(.celIntegerRange, "integer literal out of range", at: range, label: "larger than 9223372036854775807; add `u` for a uint")
            }
            return try node(.literal(.int(Int64(magnitude))), range, children: [])
        case .double(let value):
            let start = negatedLiteralStart ?? token.range.lowerBound
            return try node(.literal(.double(negatedLiteralStart != nil ? -value : value)), start..<token.range.upperBound, children: [])
        case .uint(let value):
            return try node(.literal(.uint(value)), token.range, children: [])
        case .string(let text):
            return try node(.literal(.string(text)), token.range, children: [])
        case .bytes(let bytes):
            return try node(.literal(.bytes(bytes)), token.range, children: [])
        case .identifier(let name):
            return try parseIdentifier(name, token: token, rootScoped: false)
        case .punctuation("."):
            let nameToken = advance()
            guard case .identifier(let name) = nameToken.kind else {
                throw CELIssue(.celSyntax, "expected a name after the leading `.`", at: nameToken.range)
            }
            return try parseIdentifier(name, token: Token(kind: nameToken.kind, range: token.range.lowerBound..<nameToken.range.upperBound), rootScoped: true)
        case .punctuation("("):
            try enter()
            defer { recursion -= 1 }
            let inner = try parseExpression()
            _ = try expect(")", "to close the parenthesis")
            return inner
        case .punctuation("["):
            let (elements, close) = try parseList(closing: "]", context: "to close the list")
            return try node(.list(elements), token.range.lowerBound..<close, children: elements)
        case .punctuation("{"):
            return try parseMap(start: token.range.lowerBound)
        default:
            throw CELIssue(.celSyntax, "expected an expression, found \(Self.describe(token.kind))", at: token.range, label: "expected a value, name or `(`")
        }
    }

    private mutating func parseIdentifier(_ name: String, token: Token, rootScoped: Bool) throws(CELIssue) -> CELExpr {
        switch name {
        case "true" where !rootScoped: return try node(.literal(.bool(true)), token.range, children: [])
        case "false" where !rootScoped: return try node(.literal(.bool(false)), token.range, children: [])
        case "null" where !rootScoped: return try node(.literal(.null), token.range, children: [])
        default: break
        }
        if Self.reserved.contains(name) || name == "in" || name == "true" || name == "false" || name == "null" {
            throw CELIssue(.celReservedWord, "`\(name)` is a reserved word and cannot be used as a name", at: token.range)
        }
        if isPunctuation("(") {
            _ = advance()
            let (arguments, close) = try parseList(closing: ")", context: "to close the argument list")
            let range = token.range.lowerBound..<close
            if name == "has", !rootScoped {
                return try expandHas(arguments, range: range)
            }
            return try call(rootScoped ? "." + name : name, range, arguments)
        }
        return try node(.identifier(rootScoped ? "." + name : name), token.range, children: [])
    }

    /// Comma-separated expressions up to `closing` (a trailing comma is allowed). Returns the
    /// end offset of the closing token.
    private mutating func parseList(closing: String, context: String) throws(CELIssue) -> ([CELExpr], Int) {
        try enter()
        defer { recursion -= 1 }
        var elements: [CELExpr] = []
        while !isPunctuation(closing) {
            elements.append(try parseExpression())
            if !accept(",") { break }
        }
        let close = try expect(closing, context)
        return (elements, close.range.upperBound)
    }

    private mutating func parseMap(start: Int) throws(CELIssue) -> CELExpr {
        try enter()
        defer { recursion -= 1 }
        var entries: [CELExpr.MapEntry] = []
        var children: [CELExpr] = []
        while !isPunctuation("}") {
            let key = try parseExpression()
            _ = try expect(":", "between a map key and its value")
            let value = try parseExpression()
            entries.append(CELExpr.MapEntry(key: key, value: value))
            children.append(key)
            children.append(value)
            if !accept(",") { break }
        }
        let close = try expect("}", "to close the map")
        return try node(.map(entries), start..<close.range.upperBound, children: children)
    }

    // MARK: - Macros

    private mutating func expandHas(_ arguments: [CELExpr], range: Range<Int>) throws(CELIssue) -> CELExpr {
        guard arguments.count == 1, let argument = arguments.first,
              case .select(let operand, let field, false) = argument.kind else {
            throw CELIssue(.celInvalidMacro, "`has()` takes one field selection, like `has(event.data.name)`", at: range, label: "not a field selection")
        }
        return try node(.select(operand: operand, field: field, testOnly: true), range, children: [operand])
    }

    private mutating func expandReceiverMacro(_ name: String, target: CELExpr, arguments: [CELExpr], range: Range<Int>) throws(CELIssue) -> CELExpr? {
        let macro: CELExpr.Comprehension.Macro
        switch (name, arguments.count) {
        case ("all", 2): macro = .all
        case ("exists", 2): macro = .exists
        case ("exists_one", 2): macro = .existsOne
        case ("map", 2), ("map", 3): macro = .map
        case ("filter", 2): macro = .filter
        default: return nil
        }
        guard case .identifier(let variable) = arguments[0].kind, !variable.hasPrefix(".") else {
            throw CELIssue(.celInvalidMacro, "the first argument of `\(name)()` must be a simple variable name", at: arguments[0].range, label: "expected a name like `x`")
        }
        let body = arguments.count == 3 ? arguments[2] : arguments[1]
        let filter = arguments.count == 3 ? arguments[1] : nil
        let comprehension = CELExpr.Comprehension(macro: macro, variable: variable, variableRange: arguments[0].range, range: target, body: body, filter: filter)
        return try node(.comprehension(comprehension), range, children: [target, body] + (filter.map { [$0] } ?? []))
    }
}
