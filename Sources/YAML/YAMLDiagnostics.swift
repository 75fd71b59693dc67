import Diagnostics

// Codes FC0001–FC0049: reading files, their encoding, YAML syntax and structure.
extension DiagnosticCode {
    /// A file could not be read (missing, a folder, no permission); used by the command line.
    public static let cannotReadFile = DiagnosticCode("FC0001")
    public static let invalidUTF8 = DiagnosticCode("FC0002")
    public static let unsupportedEncoding = DiagnosticCode("FC0003")
    public static let byteOrderMark = DiagnosticCode("FC0004")
    /// A NUL byte or another control character that YAML does not allow.
    public static let controlCharacter = DiagnosticCode("FC0005")
    public static let emptyFile = DiagnosticCode("FC0006")
    /// A YAML syntax error without a more specific code.
    public static let yamlSyntax = DiagnosticCode("FC0010")
    public static let tabIndentation = DiagnosticCode("FC0011")
    public static let unquotedExpressionColon = DiagnosticCode("FC0012")
    public static let unexpectedColon = DiagnosticCode("FC0013")
    public static let unclosedQuote = DiagnosticCode("FC0014")
    public static let unclosedFlowCollection = DiagnosticCode("FC0015")
    public static let badIndentation = DiagnosticCode("FC0016")
    public static let invalidEscape = DiagnosticCode("FC0017")
    public static let duplicateKey = DiagnosticCode("FC0020")
    public static let nonScalarKey = DiagnosticCode("FC0021")
    public static let unknownAlias = DiagnosticCode("FC0022")
    public static let nodeLimitExceeded = DiagnosticCode("FC0023")
    public static let nestingTooDeep = DiagnosticCode("FC0024")
}

/// The long explanations of the YAML layer's codes, for `flowc explain` and SARIF rules.
public enum YAMLDiagnostics {
    public static let explanations: [Explanation] = [
        Explanation(
            .cannotReadFile, name: "cannot-read-file",
            summary: "A path given to flowc could not be read.",
            details: """
            The file does not exist, is a folder where a file was expected, or flowc has no \
            permission to read it. Check the path (relative paths are resolved from the current \
            directory) and the file's permissions.
            """,
            wrong: "flowc lint flows/vip-segment-growht.yaml",
            right: "flowc lint flows/vip-segment-growth.yaml"
        ),
        Explanation(
            .invalidUTF8, name: "invalid-utf8",
            summary: "The file is not valid UTF-8.",
            details: """
            flowc reads flow files as UTF-8 only. A byte that cannot appear in UTF-8 usually \
            means the file was saved as Latin-1 or Windows-1252 (for example `é` as the single \
            byte 0xE9). The diagnostic points at the first such byte; re-save the file as UTF-8.
            """,
            wrong: "description: Caf\\xE9 alerts   # 0xE9 is Latin-1 for é",
            right: "description: Café alerts        # é as the UTF-8 bytes 0xC3 0xA9"
        ),
        Explanation(
            .unsupportedEncoding, name: "unsupported-encoding",
            summary: "The file is UTF-16 or UTF-32; flowc reads UTF-8 only.",
            details: """
            Some Windows editors save text as UTF-16 ("Unicode"). YAML allows it, but flow files \
            are UTF-8 so that every tool in the pipeline reads the same bytes. Save the file as \
            UTF-8 without a byte-order mark.
            """,
            wrong: "<FF FE> f\\0l\\0o\\0w\\0:\\0 ...   # UTF-16 little-endian",
            right: "flow: vip-segment-growth"
        ),
        Explanation(
            .byteOrderMark, name: "byte-order-mark", severity: .warning,
            summary: "The file starts with a UTF-8 byte-order mark.",
            details: """
            The invisible character U+FEFF at the start of a file is allowed by YAML and ignored \
            when reading, so this is a warning. Remove it anyway: tools that concatenate, diff or \
            hash flow files see it as a stray character. The fix-it deletes it.
            """,
            wrong: "<EF BB BF>flow: vip-segment-growth",
            right: "flow: vip-segment-growth"
        ),
        Explanation(
            .controlCharacter, name: "control-character",
            summary: "The file contains a NUL byte or another control character.",
            details: """
            YAML text may not contain control characters other than tab, line feed and carriage \
            return. A NUL byte usually means a binary file was passed to flowc. To put a control \
            character into a value, write it as an escape inside double quotes.
            """,
            wrong: "description: bell<U+0007>here",
            right: "description: \"bell\\u0007here\""
        ),
        Explanation(
            .emptyFile, name: "empty-file", severity: .warning,
            summary: "The file holds no flow.",
            details: """
            The file is empty, holds only comments, or only empty documents (`---` with nothing \
            after it). flowc checks it without error, but nothing in it will run. Add a flow or \
            remove the file.
            """,
            wrong: "# the VIP flow goes here, one day",
            right: """
            flow: vip-segment-growth
            trigger:
              type: segment.threshold.crossed
            actions:
              - id: notify
                type: http
            """
        ),
        Explanation(
            .yamlSyntax, name: "yaml-syntax",
            summary: "The file is not valid YAML.",
            details: """
            libyaml could not read the file at the position shown; the message is libyaml's, and \
            the note (when there is one) says what it was reading. Reading stops at the first \
            syntax error: flows in earlier documents of the same file are still checked.
            """,
            wrong: "description: @here",
            right: "description: \"@here\""
        ),
        Explanation(
            .tabIndentation, name: "tab-indentation",
            summary: "A tab character is used for indentation.",
            details: """
            YAML indents with spaces only; a tab where indentation is expected is an error (libyaml \
            calls it "a character that cannot start any token"). The fix-it replaces each tab by \
            two spaces; check that the result lines up with the entries around it.
            """,
            wrong: "trigger:\n\ttype: segment.refreshed",
            right: "trigger:\n  type: segment.refreshed"
        ),
        Explanation(
            .unquotedExpressionColon, name: "unquoted-expression-colon",
            summary: "An unquoted value with `${{ … }}` contains `: `.",
            details: """
            YAML reads `: ` in plain (unquoted) text as the separator of a key and its value, and \
            it does not know about `${{ }}`. A conditional expression (`a ? b : c`), a map literal \
            (`{'a': 1}`) or text after the expression that contains `: ` breaks the line. Quote the \
            whole value: in double quotes a backslash starts an escape, in single quotes a `'` is \
            written `''`.
            """,
            wrong: "if: ${{ trigger.current > 100 ? 'high' : 'low' }}",
            right: "if: \"${{ trigger.current > 100 ? 'high' : 'low' }}\""
        ),
        Explanation(
            .unexpectedColon, name: "unexpected-colon",
            summary: "`: ` appears inside a plain value.",
            details: """
            Either the value itself contains `: ` and must be quoted, or a key is indented more \
            than the key before it, so YAML reads it as the continuation of that key's value. \
            Quote the value, or line the key up with its siblings.
            """,
            wrong: "description: note: read this\ntimeout: 10s\n  retry: 3",
            right: "description: \"note: read this\"\ntimeout: 10s\nretry: 3"
        ),
        Explanation(
            .unclosedQuote, name: "unclosed-quote",
            summary: "A quoted string is never closed.",
            details: """
            A quoted string may span several lines, so a missing closing quote makes libyaml read \
            the rest of the file as text and fail at its end. The diagnostic points at the opening \
            quote. In a single-quoted string a quote is written `''`.
            """,
            wrong: "description: \"VIP alerts\nflow: vip",
            right: "description: \"VIP alerts\"\nflow: vip"
        ),
        Explanation(
            .unclosedFlowCollection, name: "unclosed-flow-collection",
            summary: "A `[ … ]` or `{ … }` is not closed, or its entries lack a `,`.",
            details: """
            Flow collections are written on one line or across lines with brackets; entries are \
            separated by commas and the bracket must be closed. The secondary span shows where the \
            collection opens.
            """,
            wrong: "run_after: { notify: [succeeded, failed }",
            right: "run_after: { notify: [succeeded, failed] }"
        ),
        Explanation(
            .badIndentation, name: "bad-indentation",
            summary: "An entry is not aligned with the other entries of its mapping or sequence.",
            details: """
            All keys of one mapping, and all `- ` items of one sequence, start in the same column. \
            An entry indented less than its siblings (but more than the parent) belongs to nothing. \
            Line it up with its siblings.
            """,
            wrong: "trigger:\n  type: segment.refreshed\n segment: VIP",
            right: "trigger:\n  type: segment.refreshed\n  segment: VIP"
        ),
        Explanation(
            .invalidEscape, name: "invalid-escape",
            summary: "A double-quoted string contains an unknown escape such as `\\d`.",
            details: """
            In double quotes a backslash starts an escape (`\\n`, `\\t`, `\\u00e9`, `\\\\`). \
            Regular expressions in CEL often contain backslashes: double them, or use single \
            quotes, where a backslash is an ordinary character.
            """,
            wrong: "if: \"${{ event.data.code.matches('\\d+') }}\"",
            right: "if: '${{ event.data.code.matches(\"\\d+\") }}'"
        ),
        Explanation(
            .duplicateKey, name: "duplicate-key",
            summary: "A key appears twice in one mapping.",
            details: """
            YAML parsers disagree on duplicate keys (many keep the last value silently), so flowc \
            rejects them. Keys are compared by their text: `timeout` and `"timeout"` are the same \
            key. The secondary span shows the first occurrence.
            """,
            wrong: "- id: notify\n  type: http\n  timeout: 10s\n  timeout: 30s",
            right: "- id: notify\n  type: http\n  timeout: 30s"
        ),
        Explanation(
            .nonScalarKey, name: "non-scalar-key",
            summary: "A mapping or sequence is used as a mapping key.",
            details: """
            YAML allows complex keys (`? [a, b]` or `{a: 1}: x`), but keys in a flow are names. \
            This usually comes from a stray `?` or a key that starts with `[` or `{` and must be \
            quoted.
            """,
            wrong: "[primary]: true",
            right: "\"[primary]\": true"
        ),
        Explanation(
            .unknownAlias, name: "unknown-alias",
            summary: "An alias `*name` has no anchor `&name` before it.",
            details: """
            An alias repeats a node marked earlier in the same document with `&name`. The anchor \
            must come first, documents do not share anchors, and an alias cannot refer to the \
            node it is inside of.
            """,
            wrong: "retry: *default_retry\ndefaults: &default_retry { attempts: 3 }",
            right: "defaults: &default_retry { attempts: 3 }\nretry: *default_retry"
        ),
        Explanation(
            .nodeLimitExceeded, name: "node-limit-exceeded",
            summary: "A document has more than 10,000 nodes after expanding aliases.",
            details: """
            Every alias counts as a full copy of the node it names, so aliases of aliases grow \
            exponentially (the "billion laughs" attack). flowc stops at 10,000 nodes per document \
            and skips the rest of that document. Real flows are far smaller: split a huge flow, \
            or repeat less through aliases.
            """,
            wrong: """
            a: &a [x, x, x, x, x, x, x, x, x, x]
            b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
            c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
            d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
            """,
            right: "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: [*a, *a]"
        ),
        Explanation(
            .nestingTooDeep, name: "nesting-too-deep",
            summary: "Collections are nested more than 64 levels deep.",
            details: """
            flowc limits nesting so that hostile input cannot exhaust memory or time; no flow \
            needs that depth. Reading stops at the collection that crosses the limit. Look for \
            an unbalanced run of `[` or `{`.
            """,
            wrong: "data: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
            right: "data: [[1]]"
        ),
    ]
}
