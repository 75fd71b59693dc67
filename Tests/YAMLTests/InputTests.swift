import Diagnostics
import Testing
@testable import YAML

@Suite("Bytes before YAML") struct InputTests {
    @Test func invalidUTF8ReportsTheFirstBadByte() throws {
        let bytes = Array("flow: a\ndescription: Caf".utf8) + [0xE9] + Array(" ok\n".utf8)
        let stream = read(bytes: bytes)
        let diagnostic = try #require(stream.diagnostics.first)
        #expect(stream.codes == [.invalidUTF8])
        #expect(diagnostic.span.compact == "2:17-2:18")
        #expect(diagnostic.message == "file is not valid UTF-8: byte 0xE9 cannot appear here")
        #expect(stream.documents.isEmpty)
    }

    @Test(arguments: [
        [0xC0, 0xAF] as [UInt8],      // overlong `/`
        [0xED, 0xA0, 0x80],           // surrogate
        [0xF4, 0x90, 0x80, 0x80],     // above U+10FFFF
        [0xE2, 0x82],                 // truncated at the end
        [0x80],                       // lone continuation
        [0xFF],
    ])
    func invalidSequences(sequence: [UInt8]) {
        let stream = read(bytes: Array("a: x".utf8) + sequence)
        #expect(stream.codes == [.invalidUTF8])
        #expect(stream.diagnostics.first?.span.start.column == 5)
    }

    @Test func validatorAgreesWithTheStandardLibrary() {
        var generator = SplitMix(seed: 7)
        for _ in 0..<2_000 {
            let length = Int(generator.next() % 24)
            var bytes: [UInt8] = []
            for _ in 0..<length {
                let roll = generator.next() % 4
                bytes.append(roll == 0 ? UInt8(truncatingIfNeeded: generator.next()) : UInt8(0x20 + generator.next() % 0x5F))
            }
            let isValid = String(validating: bytes, as: UTF8.self) != nil
            let result = InputScreen.validate(bytes, from: 0)
            switch result {
            case .valid: #expect(isValid, "\(bytes)")
            case .invalid: #expect(!isValid, "\(bytes)")
            case .nul: #expect(bytes.contains(0))
            }
        }
    }

    @Test func byteOrderMarkIsAWarningAndTheRestIsRead() throws {
        let stream = read(bytes: [0xEF, 0xBB, 0xBF] + Array("flow: é\nnext: x\n".utf8))
        #expect(stream.codes == [.byteOrderMark])
        let diagnostic = try #require(stream.diagnostics.first)
        #expect(diagnostic.severity == .warning)
        #expect(diagnostic.fixIts.first?.replacement == "")
        #expect(diagnostic.fixIts.first?.span.end.offset == 3)
        let root = try #require(stream.root)
        #expect(root["flow"]?.text == "é")
        #expect(root["flow"]?.span.start.offset == 9)
        #expect(root["flow"]?.span.compact == "1:8-1:9")
        #expect(root["next"]?.span.compact == "2:7-2:8")
    }

    @Test func utf16IsNamed() {
        let stream = read(bytes: [0xFF, 0xFE] + Array("a: 1".utf8).flatMap { [$0, 0] })
        #expect(stream.codes == [.unsupportedEncoding])
        #expect(stream.diagnostics.first?.message == "file is encoded as UTF-16; flowc reads UTF-8 only")
        let withoutMark = read(bytes: Array("a: 1".utf8).flatMap { [0, $0] })
        #expect(withoutMark.codes == [.unsupportedEncoding])
    }

    @Test func nulByte() throws {
        let stream = read(bytes: Array("flow: a\nx: 1".utf8) + [0] + Array("\n".utf8))
        #expect(stream.codes == [.controlCharacter])
        #expect(stream.diagnostics.first?.span.compact == "2:5-2:6")
    }

    @Test(arguments: ["", "\n\n", "# only a comment\n# and another\n", "---\n", "---\n...\n"])
    func emptyFile(text: String) throws {
        let stream = read(text)
        #expect(stream.codes == [.emptyFile])
        #expect(stream.diagnostics.first?.severity == .warning)
        #expect(stream.diagnostics.first?.message == "the file holds no flow")
        #expect(stream.documents.isEmpty)
    }
}

/// A small deterministic generator, so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
