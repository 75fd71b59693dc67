import Catalog
import Diagnostics
import YAML

/// Values typed by the catalog, scalars, and the places where expressions stand.
extension FlowDecoder {
    // MARK: - Values

    /// A value read as its catalog parameter's `kind` says.
    mutating func value(_ node: YAMLNode, for spec: KeySpec, what: @autoclosure () -> String) -> FlowValue {
        switch spec.kind {
        case .expression:
            if let site = bareExpression(node, type: spec.parameter.type, what: what()) { return .expression(site) }
            return .null(node.span)
        case .literal:
            return read(node, ValueShape(spec, expressions: false), what: what())
        case .name:
            if let name = string(node, for: what()) { checkIdentifier(name, at: node.span, what: "`\(what())` name") }
            return node.scalar.map { .literal($0, node.span) } ?? .null(node.span)
        case .actions, .cases, .branches, .other:
            return read(node, ValueShape(spec, expressions: true), what: what())
        }
    }

    /// What a value must look like: its catalog type, the words an enum allows, whether a
    /// `list(T)` also takes one `T`, and whether `${{ }}` is evaluated in it.
    struct ValueShape {
        var type: CatalogType
        var values: [String]?
        var acceptsSingle = false
        var expressions: Bool

        init(type: CatalogType, values: [String]? = nil, expressions: Bool) {
            self.type = type
            self.values = values
            self.expressions = expressions
        }

        init(_ spec: KeySpec, expressions: Bool) {
            self.init(type: spec.type, values: spec.values, expressions: expressions)
            acceptsSingle = spec.acceptsSingle
        }

        /// The shape of an element or field; enum words carry over to list elements only.
        func element(_ type: CatalogType, keepValues: Bool = false) -> ValueShape {
            ValueShape(type: type, values: keepValues ? values : nil, expressions: expressions)
        }
    }

    /// Reads a value of a catalog type. Scalars holding `${{` become expression sites where
    /// the shape allows them; their types are checked later, with CEL.
    mutating func read(_ node: YAMLNode, _ shape: ValueShape, what: @autoclosure () -> String) -> FlowValue {
        let type = shape.type
        if let scalar = node.scalar {
            if TemplateSplitter.containsExpression(scalar.value) {
                if shape.expressions {
                    if let site = templateSite(node, scalar: scalar, expectedType: type.description) { return .expression(site) }
                    return .null(node.span)
                }
                report(Diagnostic(
                    .flowMisplacedExpression, .error, "`\(what())` takes a literal value; `${{ }}` is not evaluated here", at: node.span)
                    .with(note: "write `$${{` for a literal `${{`"))
                return .literal(scalar, node.span)
            }
            if case .list(let element) = type, shape.acceptsSingle {
                return read(node, shape.element(element, keepValues: true), what: what())
            }
            checkScalar(node, scalar, type: type, values: shape.values, what: what())
            return scalar.isNullValue ? .null(node.span) : .literal(scalar, node.span)
        }
        if let items = node.sequence {
            let element: CatalogType
            switch type {
            case .list(let inner): element = inner
            case .dyn: element = .dyn
            default:
                wrongKind(node, expected: expectedDescription(type), for: what())
                return .null(node.span)
            }
            let elementShape = shape.element(element, keepValues: true)
            var read: [FlowValue] = []
            read.reserveCapacity(items.count)
            for (offset, item) in items.enumerated() {
                read.append(self.read(item, elementShape, what: "\(what())[\(offset)]"))
            }
            return .list(read, node.span)
        }
        // A node is a scalar, a sequence or a mapping: this is the mapping.
        guard let pairs = node.mapping else { return .null(node.span) }
        switch type {
        case .map(_, let valueType):
            return .map(mapEntries(pairs, shape.element(valueType), what: what()), node.span)
        case .dyn:
            return .map(mapEntries(pairs, shape.element(.dyn), what: what()), node.span)
        case .record(let fields):
            let names = fields.map(\.name)
            let present = checkKeys(pairs, allowed: names, context: "`\(what())`")
            requireKeys(
                fields.filter { !$0.optional }.map(\.name), present: present, in: pairs, allowed: names,
                anchor: Self.anchor(pairs, node), context: "`\(what())`")
            var mapped: [FlowValue.MapEntry] = []
            mapped.reserveCapacity(pairs.count)
            for pair in pairs {
                guard let name = acceptedKey(pair, allowed: names), let position = keyPosition(name, in: names) else { continue }
                let value = read(pair.value, shape.element(fields[position].type), what: "\(what()).\(name)")
                mapped.append(FlowValue.MapEntry(key: Located(name, at: pair.key.span), value: value))
            }
            return .map(mapped, node.span)
        default:
            wrongKind(node, expected: expectedDescription(type), for: what())
            return .null(node.span)
        }
    }

    /// The entries of a `map` value, each read with `valueShape`.
    mutating func mapEntries(_ pairs: YAMLMapping, _ valueShape: ValueShape, what: @autoclosure () -> String) -> [FlowValue.MapEntry] {
        var result: [FlowValue.MapEntry] = []
        result.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let name = pair.keyText else {
                error(.flowWrongKind, "expected a string key in `\(what())`, found \(foundDescription(pair.key))", at: pair.key.span)
                continue
            }
            let value = read(pair.value, valueShape, what: "\(what()).\(name)")
            result.append(FlowValue.MapEntry(key: Located(name, at: pair.key.span), value: value))
        }
        return result
    }

    /// Checks a literal scalar against a scalar type and an enum.
    mutating func checkScalar(
        _ node: YAMLNode, _ scalar: YAMLScalar, type: CatalogType, values: [String]?, what: @autoclosure () -> String
    ) {
        if scalar.isNullValue {
            if type != .dyn && type != .null { wrongKind(node, expected: expectedDescription(type), for: what()) }
            return
        }
        switch type {
        case .string, .bytes, .timestamp:
            if let values { _ = checkEnum(scalar.value, values: values, at: node.span, what: what()) }
        case .bool:
            _ = bool(node, for: what())
        case .int, .uint:
            if let value = integer(node, for: what()), type == .uint, value < 0 {
                error(.flowNumberOutOfRange, "`\(what())` must not be negative, found \(value)", at: node.span)
            }
        case .double:
            _ = number(node, for: what())
        case .duration:
            _ = duration(node, for: what())
        case .list, .map, .record:
            wrongKind(node, expected: expectedDescription(type), for: what())
        case .dyn, .null:
            break
        }
    }

    // MARK: - Scalars

    /// A scalar's text; any non-null scalar is a string (YAML 1.1's typing does not apply).
    mutating func string(_ node: YAMLNode, for what: @autoclosure () -> String) -> String? {
        guard let text = node.nonNullText else {
            wrongKind(node, expected: "a string", for: what())
            return nil
        }
        return text
    }

    mutating func bool(_ node: YAMLNode, for what: @autoclosure () -> String) -> Bool? {
        guard let scalar = node.scalar, !scalar.isNullValue else {
            wrongKind(node, expected: "`true` or `false`", for: what())
            return nil
        }
        if scalar.style == .plain {
            if scalar.value == "true" { return true }
            if scalar.value == "false" { return false }
        }
        let word = scalar.value.lowercased()
        if YAML11Bool.words.contains(word) || (scalar.style == .plain && (word == "true" || word == "false")),
           let meaning = YAML11Bool.meaning(scalar.value) {
            let replacement = meaning ? "true" : "false"
            report(Diagnostic(
                .flowInvalidBool, .error, "expected `true` or `false` for `\(what())`, found \(foundDescription(node))", at: node.span,
                label: "flowc reads only `true` and `false` as booleans",
                notes: [Note(
                    "YAML 1.1 reads words such as `yes`, `no`, `on` and `off` as booleans, YAML 1.2 does not; write `\(replacement)`")],
                fixIts: [FixIt(span: node.span, replacement: replacement)]))
            return meaning
        }
        wrongKind(node, expected: "`true` or `false`", for: what())
        return nil
    }

    mutating func integer(_ node: YAMLNode, for what: @autoclosure () -> String) -> Int64? {
        guard let scalar = node.scalar, !scalar.isNullValue, scalar.style == .plain else {
            error(.flowInvalidNumber, "expected an integer for `\(what())`, found \(foundDescription(node))", at: node.span)
            return nil
        }
        switch NumberSyntax.integer(scalar.value) {
        case .value(let value):
            return value
        case .outOfRange:
            error(.flowNumberOutOfRange, "`\(scalar.value)` is out of range for `\(what())`", at: node.span,
                  label: "integers are 64-bit, at most 9223372036854775807")
        case .notAnInteger:
            error(.flowInvalidNumber, "expected an integer for `\(what())`, found \(foundDescription(node))", at: node.span)
        }
        return nil
    }

    mutating func number(_ node: YAMLNode, for what: @autoclosure () -> String) -> Double? {
        guard let scalar = node.scalar, !scalar.isNullValue, scalar.style == .plain else {
            error(.flowInvalidNumber, "expected a number for `\(what())`, found \(foundDescription(node))", at: node.span)
            return nil
        }
        switch NumberSyntax.number(scalar.value) {
        case .value(let value):
            return value
        case .outOfRange:
            error(.flowNumberOutOfRange, "`\(scalar.value)` is out of range for `\(what())`", at: node.span,
                  label: "numbers are 64-bit floating point, at most about 1.8e308")
        case .notANumber:
            error(.flowInvalidNumber, "expected a number for `\(what())`, found \(foundDescription(node))", at: node.span)
        }
        return nil
    }

    mutating func duration(_ node: YAMLNode, for what: @autoclosure () -> String) -> FlowDuration? {
        guard let text = node.nonNullText else {
            wrongKind(node, expected: expectedDescription(.duration), for: what())
            return nil
        }
        switch FlowDuration.parse(text) {
        case .success(let duration):
            return duration
        case .failure(.syntax(let reason)):
            var diagnostic = Diagnostic(
                .flowInvalidDuration, .error, "invalid duration `\(text)` for `\(what())`", at: node.span, label: reason)
            if let suggestion = FlowDuration.suggestion(for: text) {
                diagnostic = diagnostic.with(fixIt: suggestion, at: node.span)
            }
            report(diagnostic)
        case .failure(.tooLong):
            error(
                .flowDurationOutOfRange, "duration `\(text)` for `\(what())` is longer than the maximum of \(FlowDuration.maximum)",
                at: node.span)
        }
        return nil
    }

    /// Whether `text` is one of `values`; reports it with a did-you-mean when not.
    mutating func checkEnum(_ text: String, values: [String], at span: @autoclosure () -> SourceSpan, what: @autoclosure () -> String) -> Bool {
        guard !values.contains(text) else { return true }
        let span = span()
        let listed = values.map { "`\($0)`" }.joined(separator: ", ")
        if let suggestion = nearestName(to: text, in: values) {
            report(Diagnostic(
                .flowInvalidEnumValue, .error, "invalid value `\(text)` for `\(what())`; did you mean `\(suggestion)`?", at: span,
                label: "expected one of \(listed)", fixIts: [FixIt(span: span, replacement: suggestion)]))
        } else {
            error(.flowInvalidEnumValue, "invalid value `\(text)` for `\(what())`", at: span, label: "expected one of \(listed)")
        }
        return false
    }

    @discardableResult
    mutating func checkIdentifier(_ name: String, at span: @autoclosure () -> SourceSpan, what: @autoclosure () -> String) -> Bool {
        if Identifier.isValid(name), !Identifier.isReserved(name) { return true }
        let span = span()
        let reason = Identifier.isValid(name)
            ? "`\(name)` is a reserved word of CEL"
            : "use letters, digits and `_`, not starting with a digit"
        var diagnostic = Diagnostic(.flowInvalidIdentifier, .error, "invalid \(what()) `\(name)`", at: span, label: reason)
        if let repaired = Identifier.repaired(name), repaired != name {
            diagnostic = diagnostic.with(fixIt: repaired, at: span)
        }
        report(diagnostic)
        return false
    }

    // MARK: - Expressions

    /// A bare expression (`conditions`, `if`, `condition`, `items`): CEL text, optionally
    /// wrapped whole in `${{ }}`.
    mutating func bareExpression(_ node: YAMLNode, type: String, what: @autoclosure () -> String) -> ExpressionSite? {
        guard let scalar = node.scalar, !scalar.isNullValue else {
            if node.scalar != nil {
                error(.flowEmptyExpression, "`\(what())` needs an expression", at: node.span)
            } else if node.mapping != nil {
                report(Diagnostic(
                    .flowWrongKind, .error, "expected an expression for `\(what())`, found a mapping", at: node.span,
                    notes: [Note("in YAML, `: ` inside an unquoted value starts a mapping; quote the expression")]))
            } else {
                wrongKind(node, expected: "an expression", for: what())
            }
            return nil
        }
        let map = ScalarSourceMap(value: scalar.value, style: scalar.style, span: node.span, file: file)
        let expression: TemplatePart
        // Bare expressions seldom hold a `$`: then the whole text is the expression.
        if scalar.contains(byte: UInt8(ascii: "$")) {
            let split = TemplateSplitter.split(scalar.value)
            if let offset = split.unterminatedAt {
                reportUnterminated(at: offset, map: map)
                return nil
            }
            var wrapped: TemplatePart?
            var expressionCount = 0
            var literalsAreBlank = true
            for part in split.parts {
                if part.isExpression {
                    expressionCount += 1
                    if wrapped == nil { wrapped = part }
                } else if !isBlank(part.text) {
                    literalsAreBlank = false
                }
            }
            if expressionCount > 0 {
                guard literalsAreBlank, expressionCount == 1, let wrapped else {
                    report(Diagnostic(
                        .flowMisplacedExpression, .error, "`\(what())` takes a bare expression; `${{ }}` may only wrap all of it",
                        at: node.span)
                        .with(note: "write the expression without `${{ }}`, for example `event.data.status == 'failed'`"))
                    return nil
                }
                expression = wrapped
            } else {
                expression = TemplatePart(kind: .expression, text: scalar.value, range: 0..<scalar.value.utf8.count)
            }
        } else {
            expression = TemplatePart(kind: .expression, text: scalar.value, range: 0..<scalar.value.utf8.count)
        }
        guard !isBlank(expression.text) else {
            error(.flowEmptyExpression, "`\(what())` needs an expression", at: node.span)
            return nil
        }
        let role: ExpressionSite.Role = type == "bool" ? .condition : .bareExpression
        return ExpressionSite(
            role: role, text: scalar.value, style: scalar.style, span: map.nodeSpan, parts: [expression], expectedType: type,
            file: file)
    }

    /// A scalar holding `${{ }}` where values are allowed: a whole value or a string template.
    mutating func templateSite(_ node: YAMLNode, scalar: YAMLScalar, expectedType: String) -> ExpressionSite? {
        let split = TemplateSplitter.split(scalar.value)
        let map = ScalarSourceMap(value: scalar.value, style: scalar.style, span: node.span, file: file)
        if let offset = split.unterminatedAt {
            reportUnterminated(at: offset, map: map)
            return nil
        }
        var valid = true
        for part in split.parts where part.isExpression && isBlank(part.text) {
            let start = max(0, part.range.lowerBound - 3)
            error(.flowEmptyExpression, "empty `${{ }}`", at: map.span(of: start..<(part.range.upperBound + 2)))
            valid = false
        }
        guard valid else { return nil }
        let isWhole = split.parts.count == 1 && split.parts[0].isExpression
            && split.parts[0].range.lowerBound == 3 && split.parts[0].range.upperBound + 2 == scalar.value.utf8.count
        return ExpressionSite(
            role: isWhole ? .wholeValue : .template, text: scalar.value, style: scalar.style, span: map.nodeSpan, parts: split.parts,
            expectedType: isWhole ? expectedType : "string", file: file)
    }

    mutating func reportUnterminated(at offset: Int, map: ScalarSourceMap) {
        error(.flowUnterminatedExpression, "`${{` has no closing `}}`", at: map.span(of: offset..<(offset + 3)),
              label: "expression starts here")
    }
}
