/// The signatures of CEL's standard functions and operators, for the checker. The
/// implementations live in ``CELBuiltins``.
enum CELStandardLibrary {
    static let declarations: [String: [CELOverload]] = {
        var table: [String: [CELOverload]] = [:]
        func global(_ name: String, _ parameters: [CELType], _ result: CELType) {
            table[name, default: []].append(CELOverload(isMember: false, parameters: parameters, result: result))
        }
        func member(_ name: String, _ parameters: [CELType], _ result: CELType) {
            table[name, default: []].append(CELOverload(isMember: true, parameters: parameters, result: result))
        }
        let a = CELType.typeParameter("A")
        let k = CELType.typeParameter("K")
        let v = CELType.typeParameter("V")
        let numbers: [CELType] = [.int, .uint, .double]
        let ordered: [CELType] = [.int, .uint, .double, .string, .bytes, .bool, .timestamp, .duration]

        global(CELOperator.logicalNot, [.bool], .bool)
        global(CELOperator.negate, [.int], .int)
        global(CELOperator.negate, [.double], .double)
        global(CELOperator.logicalAnd, [.bool, .bool], .bool)
        global(CELOperator.logicalOr, [.bool, .bool], .bool)
        global(CELOperator.notStrictlyFalse, [.bool], .bool)
        global(CELOperator.conditional, [.bool, a, a], a)
        global("_==_", [a, a], .bool)
        global("_!=_", [a, a], .bool)
        for function in ["_<_", "_<=_", "_>_", "_>=_"] {
            for type in ordered { global(function, [type, type], .bool) }
            for lhs in numbers {
                for rhs in numbers where lhs != rhs { global(function, [lhs, rhs], .bool) }
            }
        }
        for function in ["_+_", "_-_", "_*_", "_/_"] {
            for type in numbers { global(function, [type, type], type) }
        }
        global("_%_", [.int, .int], .int)
        global("_%_", [.uint, .uint], .uint)
        global("_+_", [.string, .string], .string)
        global("_+_", [.bytes, .bytes], .bytes)
        global("_+_", [.list(a), .list(a)], .list(a))
        global("_+_", [.timestamp, .duration], .timestamp)
        global("_+_", [.duration, .timestamp], .timestamp)
        global("_+_", [.duration, .duration], .duration)
        global("_-_", [.timestamp, .timestamp], .duration)
        global("_-_", [.timestamp, .duration], .timestamp)
        global("_-_", [.duration, .duration], .duration)
        global(CELOperator.index, [.list(a), .int], a)
        global(CELOperator.index, [.map(k, v), k], v)
        global(CELOperator.index, [.optional(.list(a)), .int], .optional(a))
        global(CELOperator.index, [.optional(.map(k, v)), k], .optional(v))
        global(CELOperator.optionalIndex, [.list(a), .int], .optional(a))
        global(CELOperator.optionalIndex, [.map(k, v), k], .optional(v))
        global(CELOperator.optionalIndex, [.optional(.list(a)), .int], .optional(a))
        global(CELOperator.optionalIndex, [.optional(.map(k, v)), k], .optional(v))
        global(CELOperator.in, [a, .list(a)], .bool)
        global(CELOperator.in, [k, .map(k, v)], .bool)

        for type in [CELType.string, .bytes, .list(a), .map(k, v)] {
            global("size", [type], .int)
            member("size", [type], .int)
        }
        for name in ["contains", "startsWith", "endsWith", "matches"] {
            member(name, [.string, .string], .bool)
        }
        global("matches", [.string, .string], .bool)

        for type in [CELType.int, .uint, .double, .string, .timestamp] { global("int", [type], .int) }
        for type in [CELType.int, .uint, .double, .string] { global("uint", [type], .uint) }
        for type in [CELType.int, .uint, .double, .string] { global("double", [type], .double) }
        for type in [CELType.int, .uint, .double, .string, .bytes, .bool, .timestamp, .duration] {
            global("string", [type], .string)
        }
        global("bytes", [.bytes], .bytes)
        global("bytes", [.string], .bytes)
        global("bool", [.bool], .bool)
        global("bool", [.string], .bool)
        for type in [CELType.timestamp, .string, .int] { global("timestamp", [type], .timestamp) }
        global("duration", [.duration], .duration)
        global("duration", [.string], .duration)
        global("optional.of", [a], .optional(a))
        global("optional.ofNonZeroValue", [a], .optional(a))
        global("optional.none", [], .optional(.dyn))
        member("hasValue", [.optional(a)], .bool)
        member("value", [.optional(a)], a)
        member("orValue", [.optional(a), a], a)
        member("or", [.optional(a), .optional(a)], .optional(a))
        global("dyn", [a], .dyn)
        global("type", [a], .type(a))

        for getter in ["getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
                       "getHours", "getMinutes", "getSeconds", "getMilliseconds"] {
            member(getter, [.timestamp], .int)
            member(getter, [.timestamp, .string], .int)
        }
        for getter in ["getHours", "getMinutes", "getSeconds", "getMilliseconds"] {
            member(getter, [.duration], .int)
        }
        FlowcFunctions.declare(global: global)
        return table
    }()

    /// Names that denote types, as values (`type(1) == int`).
    static let typeNames: [String: CELType] = [
        "int": .int, "uint": .uint, "double": .double, "bool": .bool, "string": .string,
        "bytes": .bytes, "list": .list(.dyn), "map": .map(.dyn, .dyn), "null_type": .null,
        "type": .type(.dyn),
        "google.protobuf.Timestamp": .timestamp, "google.protobuf.Duration": .duration,
    ]

    /// The first components of the dotted type names (`google`).
    static let typeNamePrefixes: [String] = Array(Set(typeNames.keys.compactMap { name in
        name.split(separator: ".").count > 1 ? name.split(separator: ".").first.map(String.init) : nil
    }))
}
