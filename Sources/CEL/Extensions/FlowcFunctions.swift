/// Functions flowc adds to CEL's standard library, for the catalog's trigger filters.
///
/// - `globMatch(text, pattern) -> bool`: whether `text` matches `pattern` as a whole, where `*`
///   in the pattern matches any run of characters (also none) and every other character
///   matches itself. Used by `datasource.refresh.*` filters (`Sales*`).
enum FlowcFunctions {
    /// Adds the declarations; called while the standard library table is built.
    static func declare(global: (String, [CELType], CELType) -> Void) {
        global("globMatch", [.string, .string], .bool)
    }

    /// The implementation of a flowc function, or nil when `name` is not one.
    static func function(_ name: String, arity: Int) -> CELFunction? {
        switch (name, arity) {
        case ("globMatch", 2): return .binary { CELBuiltins.stringTest("globMatch", $0, $1) { Glob.matches($0, pattern: $1) } }
        default: return nil
        }
    }
}

/// flowc's one wildcard rule, shared by the `globMatch` CEL function, the runtime's event-type
/// patterns and `flowc test`'s URL patterns: `*` matches any run of characters (also none and
/// also `.` or `/`), every other character matches itself, case-sensitively.
public enum Glob {
    /// Iterative wildcard matching with backtracking to the last `*`: linear space, at most
    /// O(text × pattern) steps, no recursion on hostile patterns.
    public static func matches(_ text: String, pattern: String) -> Bool {
        var text = text
        var pattern = pattern
        return text.withUTF8 { textBytes in pattern.withUTF8 { matches(utf8: textBytes, pattern: $0) } }
    }

    /// The same rule over UTF-8 bytes. Matching bytes gives the same answer as matching Unicode
    /// scalars: `*` is ASCII, and in valid UTF-8 a scalar's first byte never equals a
    /// continuation byte, so a literal can only match at a scalar boundary.
    public static func matches(utf8 text: UnsafeBufferPointer<UInt8>, pattern: UnsafeBufferPointer<UInt8>) -> Bool {
        let star = UInt8(ascii: "*")
        var textIndex = 0
        var patternIndex = 0
        var starIndex = -1
        var starTextIndex = 0
        while textIndex < text.count {
            if patternIndex < pattern.count, pattern[patternIndex] == star {
                starIndex = patternIndex
                starTextIndex = textIndex
                patternIndex += 1
            } else if patternIndex < pattern.count, pattern[patternIndex] == text[textIndex] {
                textIndex += 1
                patternIndex += 1
            } else if starIndex >= 0 {
                patternIndex = starIndex + 1
                starTextIndex += 1
                textIndex = starTextIndex
            } else {
                return false
            }
        }
        while patternIndex < pattern.count, pattern[patternIndex] == star { patternIndex += 1 }
        return patternIndex == pattern.count
    }
}
