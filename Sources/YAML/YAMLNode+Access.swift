/// Reads of a node that build no ``YAMLNode/Kind`` and no ``YAMLScalar``: the flow decoder
/// asks them of every key and value, and going through `kind` copied an enum with a string
/// and an optional tag each time (measured with callgrind on the 2,000-flow lint corpus:
/// the copies and destroys of `Kind` alone were about 15M instructions). The text readers
/// are always inlined: as calls they cost about 90 instructions each.
extension YAMLNode {
    /// A scalar's text whatever it means (null included), nil for a collection.
    @inlinable @inline(__always)
    public var scalarText: String? {
        let record = tree.records[index]
        guard record.shape == .scalar else { return nil }
        return tree.texts[Int(record.firstChild)]
    }

    /// A scalar's text unless YAML reads it as null (see ``YAMLScalar/isNull``); nil for a
    /// null scalar and for a collection. What a key or a string value is read as.
    @inlinable @inline(__always)
    public var nonNullText: String? {
        let record = tree.records[index]
        guard record.shape == .scalar else { return nil }
        let text = tree.texts[Int(record.firstChild)]
        // Only texts of these lengths can be null: the length rules out nearly every key.
        switch text.utf8.count {
        case 0, 1, 4:
            if record.style == .plain, YAMLNode.isNullWord(text), !record.hasProperties || tag == nil { return nil }
            return text
        default:
            return text
        }
    }

    /// `~`, `null`, `Null`, `NULL` or empty: the words of ``YAMLScalar/isNull``.
    ///
    /// The first byte decides for nearly every text of those lengths (`type`, `with`):
    /// comparing two strings of the same length calls into the standard library (measured:
    /// testing the first byte made reading keys a sixth cheaper).
    @inlinable
    static func isNullWord(_ text: String) -> Bool {
        let utf8 = text.utf8
        switch utf8.count {
        case 0: return true
        case 1: return utf8.first == UInt8(ascii: "~")
        case 4:
            guard let first = utf8.first, first == UInt8(ascii: "n") || first == UInt8(ascii: "N") else { return false }
            return text == "null" || text == "Null" || text == "NULL"
        default: return false
        }
    }
}

extension YAMLPair {
    /// The key's text when it is a string (a scalar that is not null), as ``YAMLNode/nonNullText``.
    @inlinable @inline(__always)
    public var keyText: String? { key.nonNullText }
}

extension YAMLMapping {
    /// The first pair whose key is the scalar `name` (null or not), without building nodes
    /// for the other keys.
    @inlinable
    public func pair(named name: String) -> YAMLPair? {
        let count = name.utf8.count
        for position in 0..<self.count {
            let keyIndex = Int(tree.children[firstChild + 2 * position])
            let record = tree.records[keyIndex]
            guard record.shape == .scalar else { continue }
            let text = tree.texts[Int(record.firstChild)]
            if text.utf8.count == count, text == name {
                return YAMLPair(tree: tree, keyIndex: keyIndex, valueIndex: Int(tree.children[firstChild + 2 * position + 1]))
            }
        }
        return nil
    }
}
