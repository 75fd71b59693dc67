internal import CYAML

/// A position as libyaml reports it: `index` counts characters (Unicode scalars) from the
/// start of its input, a CR LF pair counting as two; `line` and `column` are 0-based, by
/// libyaml's own line breaks. ``MarkConverter`` turns marks into file positions.
struct Mark {
    var index: Int
    var line: Int
    var column: Int

    init(index: Int, line: Int, column: Int) {
        self.index = index
        self.line = line
        self.column = column
    }

    init(_ mark: yaml_mark_t) {
        index = mark.index
        line = mark.line
        column = mark.column
    }
}

/// One libyaml event, with C types translated so the composer never sees them.
///
/// A flat struct rather than an enum with payloads: the composer reads a field or two of
/// each event, and copying and destroying a multi-payload enum went through outlined
/// witnesses that cost more than composing the node (measured with callgrind).
struct ParserEvent {
    enum Kind: UInt8 {
        case streamStart
        case streamEnd
        case documentStart
        case documentEnd
        case alias
        case scalar
        case sequenceStart
        case sequenceEnd
        case mappingStart
        case mappingEnd
    }

    var kind: Kind
    var start: Mark
    var end: Mark
    /// A scalar's value, or the anchor an alias names, as UTF-8 in libyaml's memory: valid
    /// until the parser reads the next event. Empty for other events. The composer makes the
    /// one `String` it keeps from these bytes.
    var value = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    /// Anchor and tag of a scalar or a collection start.
    var anchor: String?
    var tag: String?
    /// A scalar's style.
    var style: ScalarStyle = .plain
    /// Whether a collection starts in flow style (`[`, `{`).
    var isFlowStyle = false
    /// Whether a document ends without `...`.
    var isImplicit = false

    /// The value as text.
    var text: String { String(decoding: value, as: UTF8.self) }
}

/// What libyaml reports when it gives up, copied out of the parser.
struct ParserFailure {
    enum Stage {
        /// Decoding the input; `problemOffset` is a byte offset, the marks are unset.
        case reader
        case scanner
        case parser
        case memory
    }

    var stage: Stage
    var problem: String
    var context: String?
    var problemMark: Mark
    var contextMark: Mark?
    /// Byte offset into libyaml's input, meaningful for `.reader` only.
    var problemOffset: Int
    /// The offending character or byte for `.reader`.
    var problemValue: Int
}

/// A libyaml parser reading from a buffer that the caller keeps alive (see
/// ``withEventParser(_:_:)``). It is a class so `deinit` frees the C state exactly once.
///
/// The C structs live in allocated memory rather than in stored `var`s, so the hot loop pays
/// for no dynamic exclusivity checks.
final class LibYAMLEventParser {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let event: UnsafeMutablePointer<yaml_event_t>
    /// Whether `event` holds an event to delete: the last one is kept until the next read,
    /// since the translated event points into its memory. Unchecked: only `next(into:)`
    /// and `deinit` touch it, never overlapping.
    @exclusivity(unchecked) private var holdsEvent = false

    fileprivate init(input: UnsafePointer<UInt8>, count: Int) {
        parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        yaml_parser_initialize(parser)
        yaml_parser_set_input_string(parser, input, count)
        // The input was checked to be UTF-8 already; this stops libyaml from guessing UTF-16.
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
    }

    deinit {
        if holdsEvent { yaml_event_delete(event) }
        yaml_parser_delete(parser)
        parser.deallocate()
        event.deallocate()
    }

    /// Reads the next event into `translated`, or returns the failure after which the parser
    /// must not be called again. Callers stop after the stream-end event too: libyaml returns
    /// no more events after it. The caller keeps one event and passes it each time, so that
    /// an event is neither returned nor copied (measured: the copies cost as much as the rest
    /// of the translation). `translated.value` stays valid until the next call.
    func next(into translated: inout ParserEvent) -> ParserFailure? {
        if holdsEvent {
            yaml_event_delete(event)
            holdsEvent = false
        }
        guard yaml_parser_parse(parser, event) == 1 else {
            return failure()
        }
        holdsEvent = true
        translate(event.pointee, into: &translated)
        return nil
    }

    /// Drives libyaml without building anything; returns the event count, or nil on an error.
    func countEvents() -> Int? {
        var count = 0
        while true {
            guard yaml_parser_parse(parser, event) == 1 else { return nil }
            let isEnd = event.pointee.type == YAML_STREAM_END_EVENT
            yaml_event_delete(event)
            count += 1
            if isEnd { return count }
        }
    }

    private func translate(_ event: yaml_event_t, into translated: inout ParserEvent) {
        translated.start = Mark(event.start_mark)
        translated.end = Mark(event.end_mark)
        // Only the fields of the event's kind are set below; the others are reset here, and
        // only when set, since most events have neither anchor nor tag.
        translated.value = UnsafeBufferPointer(start: nil, count: 0)
        if translated.anchor != nil { translated.anchor = nil }
        if translated.tag != nil { translated.tag = nil }
        translated.style = .plain
        translated.isFlowStyle = false
        translated.isImplicit = false
        switch event.type {
        case YAML_STREAM_START_EVENT:
            translated.kind = .streamStart
        case YAML_DOCUMENT_START_EVENT:
            translated.kind = .documentStart
        case YAML_DOCUMENT_END_EVENT:
            translated.kind = .documentEnd
            translated.isImplicit = event.data.document_end.implicit != 0
        case YAML_ALIAS_EVENT:
            translated.kind = .alias
            if let anchor = event.data.alias.anchor {
                translated.value = UnsafeBufferPointer(start: anchor, count: strlen(UnsafeRawPointer(anchor).assumingMemoryBound(to: CChar.self)))
            }
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            translated.kind = .scalar
            if let value = scalar.value, scalar.length > 0 {
                translated.value = UnsafeBufferPointer(start: value, count: scalar.length)
            }
            translated.style = Self.style(scalar.style)
            if let tag = scalar.tag { translated.tag = Self.tag(tag) }
            if let anchor = scalar.anchor { translated.anchor = Self.string(anchor) }
        case YAML_SEQUENCE_START_EVENT:
            let sequence = event.data.sequence_start
            translated.kind = .sequenceStart
            if let anchor = sequence.anchor { translated.anchor = Self.string(anchor) }
            if let tag = sequence.tag { translated.tag = Self.tag(tag) }
            translated.isFlowStyle = sequence.style == YAML_FLOW_SEQUENCE_STYLE
        case YAML_SEQUENCE_END_EVENT:
            translated.kind = .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            let mapping = event.data.mapping_start
            translated.kind = .mappingStart
            if let anchor = mapping.anchor { translated.anchor = Self.string(anchor) }
            if let tag = mapping.tag { translated.tag = Self.tag(tag) }
            translated.isFlowStyle = mapping.style == YAML_FLOW_MAPPING_STYLE
        case YAML_MAPPING_END_EVENT:
            translated.kind = .mappingEnd
        default:
            translated.kind = .streamEnd
        }
    }

    private func failure() -> ParserFailure {
        let stage: ParserFailure.Stage
        switch parser.pointee.error {
        case YAML_READER_ERROR: stage = .reader
        case YAML_SCANNER_ERROR: stage = .scanner
        case YAML_MEMORY_ERROR: stage = .memory
        default: stage = .parser
        }
        let problem = parser.pointee.problem.map { String(cString: $0) } ?? "unknown YAML error"
        let context = parser.pointee.context.map { String(cString: $0) }
        return ParserFailure(
            stage: stage,
            problem: problem,
            context: context,
            problemMark: Mark(parser.pointee.problem_mark),
            contextMark: context == nil ? nil : Mark(parser.pointee.context_mark),
            problemOffset: parser.pointee.problem_offset,
            problemValue: Int(parser.pointee.problem_value)
        )
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafePointer($0)) }
    }

    /// libyaml resolves `!!str` to `tag:yaml.org,2002:str`; give it back in the short form
    /// people wrote, which is what messages quote.
    private static func tag(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let tag = string(pointer) else { return nil }
        let standardPrefix = "tag:yaml.org,2002:"
        if tag.hasPrefix(standardPrefix) {
            return "!!" + tag.dropFirst(standardPrefix.count)
        }
        return tag
    }

    private static func style(_ style: yaml_scalar_style_t) -> ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }
}

/// Runs `body` with a parser over `bytes[start...]`; the bytes stay pinned for the parser's
/// life, which must not escape `body`.
func withEventParser<Result>(_ bytes: [UInt8], from start: Int, _ body: (LibYAMLEventParser) -> Result) -> Result {
    withEventParser(bytes, in: start..<bytes.count, body)
}

/// Runs `body` with a parser over `bytes[range]` (clamped to the bytes).
func withEventParser<Result>(_ bytes: [UInt8], in range: Range<Int>, _ body: (LibYAMLEventParser) -> Result) -> Result {
    bytes.withUnsafeBufferPointer { buffer in
        let lower = min(max(range.lowerBound, 0), buffer.count)
        let upper = min(max(range.upperBound, lower), buffer.count)
        let input = UnsafeBufferPointer(rebasing: buffer[lower..<upper])
        guard let base = input.baseAddress, !input.isEmpty else {
            // libyaml wants a valid pointer even for no input.
            var sentinel: UInt8 = 0
            return withUnsafePointer(to: &sentinel) { pointer in
                body(LibYAMLEventParser(input: pointer, count: 0))
            }
        }
        return body(LibYAMLEventParser(input: base, count: input.count))
    }
}
