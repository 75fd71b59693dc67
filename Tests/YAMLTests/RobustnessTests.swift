import Diagnostics
import Testing
@testable import YAML

@Suite("Hostile and broken input") struct RobustnessTests {
    @Test func everyPrefixOfASampleFlow() {
        let bytes = Array(sampleFlow.utf8)
        for length in 0...bytes.count {
            let stream = read(bytes: Array(bytes[..<length]))
            for diagnostic in stream.diagnostics {
                #expect(diagnostic.span.start.offset <= length)
                #expect(diagnostic.span.end.offset <= length)
            }
        }
    }

    @Test func randomMutationsOfASampleFlow() {
        var generator = SplitMix(seed: 42)
        let original = Array(sampleFlow.utf8)
        let alphabet = Array("-:[]{}&*!|>'\"#\t\n ?,%@`\\é".utf8)
        for _ in 0..<1_500 {
            var bytes = original
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: position)
                }
            }
            let stream = read(bytes: bytes)
            for diagnostic in stream.diagnostics {
                #expect(diagnostic.span.start.offset <= bytes.count)
                #expect(diagnostic.span.end.offset <= bytes.count)
                #expect(diagnostic.span.start.line >= 1 && diagnostic.span.start.column >= 1)
            }
        }
    }

    @Test func randomTokenSoup() {
        // Random lines built from YAML's tricky pieces: anchors, aliases, tags, `${{`, block
        // scalar headers, flow brackets, tabs, BOMs, multi-byte text and document markers.
        let pieces = [
            "a: ", "- ", "? ", ": ", "&x ", "*x", "&y [", "*y", "!!str ", "!t ", "${{ a ? b : c }}", "${{ x ",
            "}}", "[", "]", "{", "}", ", ", "|\n", ">-\n", "'q'", "\"d\\n\"", "\"", "'", "\t", "é", "😀",
            "\u{85}", "\u{2028}", "\r", "\r\n", "\n", "\n  ", "\n    ", "---\n", "...\n", "# c\n", "<<: *x",
            "%YAML 1.1\n", "key", "on", "~", "\u{FEFF}", "@", "`",
        ]
        var generator = SplitMix(seed: 1_234)
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<(1 + Int(generator.next() % 30)) {
                text += pieces[Int(generator.next() % UInt64(pieces.count))]
            }
            let stream = read(text)
            let count = stream.file.bytes.count
            for diagnostic in stream.diagnostics {
                #expect(diagnostic.span.end.offset <= count, "\(text.debugDescription)")
                for fix in diagnostic.fixIts { #expect(fix.span.end.offset <= count) }
            }
            for document in stream.documents {
                #expect(document.span.end.offset <= count)
            }
        }
    }

    @Test func randomBytes() {
        var generator = SplitMix(seed: 9)
        for _ in 0..<500 {
            let bytes = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = read(bytes: bytes)
        }
    }

    @Test func rawEventCountMatchesTheStream() {
        // stream start/end, document start/end, mapping start/end, 2 scalars
        #expect(YAMLReader.rawEventCount(Array("a: b\n".utf8)) == 8)
        #expect(YAMLReader.rawEventCount([]) == 2)
        #expect(YAMLReader.rawEventCount(Array("a: [\n".utf8)) == 0)
    }
}

@Suite("Explanations") struct ExplanationTests {
    @Test func everyCodeIsExplainedOnceAndInRange() {
        let index = ExplanationIndex(YAMLDiagnostics.explanations)
        #expect(index.duplicateCodes.isEmpty)
        let declared: [DiagnosticCode] = [
            .cannotReadFile, .invalidUTF8, .unsupportedEncoding, .byteOrderMark, .controlCharacter, .emptyFile,
            .yamlSyntax, .tabIndentation, .unquotedExpressionColon, .unexpectedColon, .unclosedQuote,
            .unclosedFlowCollection, .badIndentation, .invalidEscape, .duplicateKey, .nonScalarKey,
            .unknownAlias, .nodeLimitExceeded, .nestingTooDeep,
        ]
        #expect(Set(index.all.map(\.code)) == Set(declared))
        for explanation in YAMLDiagnostics.explanations {
            let number = Int(explanation.code.rawValue.dropFirst(2)) ?? 0
            #expect((1...49).contains(number))
            #expect(!explanation.wrong.isEmpty && !explanation.right.isEmpty && explanation.wrong != explanation.right)
        }
    }

    @Test func wrongExamplesProduceTheirCode() {
        // The YAML-level examples can be checked by reading them; the others are about bytes or I/O.
        let checkable: [DiagnosticCode] = [
            .yamlSyntax, .tabIndentation, .unquotedExpressionColon, .unexpectedColon, .unclosedQuote,
            .unclosedFlowCollection, .badIndentation, .invalidEscape, .duplicateKey, .nonScalarKey,
            .unknownAlias, .nodeLimitExceeded, .nestingTooDeep, .emptyFile,
        ]
        for explanation in YAMLDiagnostics.explanations where checkable.contains(explanation.code) {
            #expect(read(explanation.wrong).codes.contains(explanation.code), "\(explanation.code)")
            #expect(read(explanation.right).diagnostics.isEmpty, "\(explanation.code)")
        }
    }
}
