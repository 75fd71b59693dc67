/// A parsed CEL expression. Every node has an `id` (dense, from 0, so checkers can keep
/// per-node facts in arrays) and the UTF-8 byte range of its text.
public struct CELExpr: Sendable {
    public let id: Int
    public let range: Range<Int>
    public let kind: Kind

    public indirect enum Kind: Sendable {
        case literal(CELValue)
        case identifier(String)
        /// `operand.field`; `testOnly` for `has(operand.field)`.
        case select(operand: CELExpr, field: String, testOnly: Bool)
        /// `operand.?field`: `optional.of(operand.field)` when the field is present, else
        /// `optional.none()`.
        case optionalSelect(operand: CELExpr, field: String)
        /// Operators are calls too, by CEL's internal names (`_+_`, `!_`, `_[_]`, `@in`, `_?_:_`).
        case call(function: String, target: CELExpr?, arguments: [CELExpr])
        case list([CELExpr])
        case map([MapEntry])
        case comprehension(Comprehension)
    }

    public struct MapEntry: Sendable {
        public let key: CELExpr
        public let value: CELExpr
    }

    /// The expansion of a macro: `range.all(variable, body)` and friends.
    public struct Comprehension: Sendable {
        public enum Macro: String, Sendable {
            case all, exists, existsOne = "exists_one", map, filter
        }

        public let macro: Macro
        public let variable: String
        public let variableRange: Range<Int>
        public let range: CELExpr
        /// The predicate, or the transform of `map`.
        public let body: CELExpr
        /// The filter of the three-argument `map(x, filter, transform)`.
        public let filter: CELExpr?
    }

    /// The dotted name this node spells (`a.b.c`), if it is only identifiers and selections.
    var qualifiedName: String? {
        switch kind {
        case .identifier(let name): return name
        case .select(let operand, let field, false): return operand.qualifiedName.map { $0 + "." + field }
        default: return nil
        }
    }
}

/// CEL's internal names of operators and how to show them to people.
public enum CELOperator {
    public static let conditional = "_?_:_"
    public static let logicalAnd = "_&&_"
    public static let logicalOr = "_||_"
    public static let logicalNot = "!_"
    public static let negate = "-_"
    public static let index = "_[_]"
    public static let optionalIndex = "_[?_]"
    public static let `in` = "@in"
    public static let notStrictlyFalse = "@not_strictly_false"

    static let binary: [String: String] = [
        "==": "_==_", "!=": "_!=_", "<": "_<_", "<=": "_<=_", ">": "_>_", ">=": "_>=_",
        "+": "_+_", "-": "_-_", "*": "_*_", "/": "_/_", "%": "_%_", "in": "@in",
        "&&": "_&&_", "||": "_||_",
    ]

    /// `_+_` → `+`, `!_` → `!`, `@in` → `in`; other names unchanged.
    public static func displayName(_ function: String) -> String {
        switch function {
        case index: return "[]"
        case optionalIndex: return "[?]"
        case conditional: return "?:"
        case `in`: return "in"
        case logicalNot: return "!"
        case negate: return "-"
        default:
            if function.hasPrefix("_"), function.hasSuffix("_"), function.count > 2 {
                return String(function.dropFirst().dropLast())
            }
            return function
        }
    }

    static func isOperator(_ function: String) -> Bool {
        function.hasPrefix("_") || function.hasPrefix("@") || function == logicalNot || function == negate
    }
}
